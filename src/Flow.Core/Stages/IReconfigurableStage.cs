namespace Flow;

/// <summary>
/// A stage that can take a changed config without being replaced, keeping its state (a route
/// table takes new static routes and keeps the ones added at run time). A reload
/// (<see cref="FlowGraph.ReplaceAsync"/>) asks <see cref="CheckReconfigure"/> while it prepares —
/// nothing has changed yet, so a refusal just means the stage is replaced — and calls
/// <see cref="Reconfigure"/> while every worker is parked: no batch runs meanwhile.
/// </summary>
public interface IReconfigurableStage
{
    /// <summary>Null when <paramref name="options"/> can be applied live; otherwise why not, in a few words (the stage is then replaced).</summary>
    /// <param name="options">The new options, of the type the stage's constructor takes.</param>
    string? CheckReconfigure(object options);

    /// <summary>Applies options that <see cref="CheckReconfigure"/> accepted. It must not fail.</summary>
    /// <param name="options">The new options.</param>
    void Reconfigure(object options);
}
