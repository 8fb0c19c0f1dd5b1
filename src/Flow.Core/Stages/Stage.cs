using Flow.Internal;

namespace Flow;

/// <summary>
/// A unit of packet work with named, typed output ports and counted drop reasons. Derive from
/// <see cref="Stage{TOutput, TDrop}"/> (takes batches) or <see cref="SourceStage{TOutput, TDrop}"/>
/// (produces them); this base is what the runtime holds.
/// </summary>
/// <remarks>
/// A stage's state belongs to the worker that runs it. Other threads reach it only through
/// the graph's control mailbox (<see cref="FlowGraph.InvokeAsync{TStage, TResult}"/>), which
/// that worker drains between batches, so stage code takes no locks.
/// </remarks>
public abstract class Stage
{
    internal StageNode? Node;

    private protected Stage()
    {
    }

    /// <summary>Instance name in the graph, or the type name before the stage is placed.</summary>
    public string Name => Node?.Name ?? Descriptor.TypeName;

    /// <summary>Ports, drop reasons and type name, read once from the stage's declarations.</summary>
    public StageDescriptor Descriptor => StageDescriptor.Of(GetType());

    /// <summary>True for stages that produce packets (polled by their worker) rather than take them.</summary>
    public abstract bool IsSource { get; }

    /// <summary>A source that will produce nothing more (a finite generator, a pcap file read once).</summary>
    public virtual bool IsExhausted => false;

    /// <summary>
    /// File descriptor that becomes readable when this source has packets (eventfd, socket), or
    /// -1. Workers with the event idle policy block on it.
    /// </summary>
    public virtual int WakeupFd => -1;

    /// <summary>Called on the worker thread before the first batch.</summary>
    public virtual void OnStart()
    {
    }

    /// <summary>Called on the worker thread after the last batch (after a drain, when asked for one).</summary>
    public virtual void OnStop()
    {
    }

    /// <summary>
    /// Timers (aging, refresh, leases), called on the worker between batches with the graph's
    /// clock, so tests can drive them by hand.
    /// </summary>
    public virtual void Tick(long nowNanoseconds)
    {
    }

    internal abstract void InvokeProcess(ReadOnlySpan<Packet> packets, Span<Next> nexts);

    internal abstract int InvokePoll(Span<Packet> packets, Span<Next> nexts);

    /// <summary>Counts a drop of something that never became a packet on this stage's input (an rx error).</summary>
    private protected void CountDropWithoutPacket(int reason, int count)
    {
        if (Node is { } node)
        {
            node.CountDropWithoutPacket(reason, count);
        }
    }

    private protected void EmitTo(Packet packet, int port)
    {
        StageNode? node = Node;
        if (node is null)
        {
            ThrowHelper.ThrowInvalidOperation($"stage '{Name}' emitted a packet before it was placed in a graph");
        }
        node.Emit(packet, port);
    }
}
