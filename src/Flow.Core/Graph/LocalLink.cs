namespace Flow;

/// <summary>
/// A port leading to a stage on the same worker: packets go straight onto that stage's input,
/// which the worker processes later in the same pass (run to completion, no ring).
/// </summary>
internal sealed class LocalLink : OutputLink
{
    public LocalLink(StageNode target, bool runsInPlace)
        : base(target.Input)
    {
        Target = target;
        InPlaceTarget = runsInPlace ? target : null;
    }

    public StageNode Target { get; }

    /// <summary>Runs the target early, so a burst larger than a batch (floods) never drops.</summary>
    public override void Overflow() => Target.RunPending();
}
