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

    // Set once, from the constructor, by stages whose output ports are configuration (NamePorts).
    private StageDescriptor? _instanceDescriptor;

    private protected Stage()
    {
    }

    /// <summary>Instance name in the graph, or the type name before the stage is placed.</summary>
    public string Name => Node?.Name ?? Descriptor.TypeName;

    /// <summary>
    /// Ports, drop reasons and type name, read once from the stage's declarations — or, for a stage
    /// that named its ports per instance (<c>NamePorts</c>), the
    /// same with this instance's ports.
    /// </summary>
    public StageDescriptor Descriptor => _instanceDescriptor ?? StageDescriptor.Of(GetType());

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

    /// <summary>
    /// Called on the worker thread once when a graceful stop begins (the graph starts draining),
    /// before what is in flight has been processed: a stage may still emit packets here and they
    /// are delivered — a DHCP client's RELEASE, a goodbye to a peer. Not called on a stop without drain.
    /// </summary>
    public virtual void OnDraining()
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

    /// <summary>Replaces this instance's ports with one per name, each a copy of the declared port <paramref name="template"/>.</summary>
    private protected void UseInstancePorts(int template, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        UseInstancePorts([.. names.Select(name => (template, name))]);
    }

    /// <summary>Replaces this instance's ports with one per entry, each a copy of its declared template port under a name of its own.</summary>
    private protected void UseInstancePorts(IReadOnlyList<(int Template, string Name)> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        if (Node is not null)
        {
            ThrowHelper.ThrowInvalidOperation($"stage '{Name}' is already placed in a graph; name its ports before adding it");
        }
        StageDescriptor declared = StageDescriptor.Of(GetType());
        IReadOnlyList<string> names = [.. ports.Select(p => p.Name)];
        if (names.Count == 0 || names.Count > Next.DropBit)
        {
            ThrowHelper.ThrowArgument(nameof(names), $"stage type '{declared.TypeName}': {names.Count} port names given; between 1 and {Next.DropBit} are allowed");
        }
        var instance = new PortDescriptor[names.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
        {
            string name = names[i];
            if (!StageDescriptor.IsValidPortName(name))
            {
                ThrowHelper.ThrowArgument(nameof(names),
                    $"stage type '{declared.TypeName}': port name '{name}' is not valid; use lower-case letters, digits and '_', starting with a letter");
            }
            if (!seen.Add(name))
            {
                ThrowHelper.ThrowArgument(nameof(names), $"stage type '{declared.TypeName}': port name '{name}' is given twice");
            }
            PortDescriptor model = declared.Ports[ports[i].Template];
            instance[i] = new PortDescriptor(name, i, model.Carries, model.Description);
        }
        _instanceDescriptor = declared.WithPorts(instance);
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
