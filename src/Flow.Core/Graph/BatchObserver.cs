namespace Flow;

/// <summary>
/// Sees the batches of one stage while attached (<see cref="FlowGraph.ObserveAsync"/>): a
/// capture copying what crosses an edge, a packet trace. Called on the stage's worker, between
/// the runtime's own steps, so it must be quick, never block and never keep a
/// <see cref="Packet"/> after it returns (copy what it needs).
/// </summary>
/// <remarks>
/// Cost when nothing observes a stage: one read and one predictable branch per batch. Attaching
/// and detaching run on the worker between batches (the stage's mailbox), so once
/// <see cref="FlowGraph.StopObservingAsync"/> has completed the observer is never called again.
/// </remarks>
public abstract class BatchObserver
{
    /// <summary>
    /// The batch a stage is about to process, as it arrived (not called for sources, which have
    /// no input). The packets are the stage's until it runs.
    /// </summary>
    /// <param name="packets">The input batch.</param>
    public virtual void OnEntry(ReadOnlySpan<Packet> packets)
    {
    }

    /// <summary>
    /// The batch the stage processed (or a source produced) with each packet's next. A packet
    /// whose next is <see cref="Next.Consumed"/> belongs to the stage now (it may already be
    /// sent and freed): read only those with a port or a drop.
    /// </summary>
    /// <param name="packets">The batch.</param>
    /// <param name="nexts">Where each packet goes, one per packet.</param>
    public abstract void OnExit(ReadOnlySpan<Packet> packets, ReadOnlySpan<Next> nexts);

    /// <summary>An extra packet the stage made (a flood copy) leaving on <paramref name="port"/>.</summary>
    /// <param name="packet">The copy.</param>
    /// <param name="port">The port it leaves by.</param>
    public virtual void OnEmit(Packet packet, int port)
    {
    }
}
