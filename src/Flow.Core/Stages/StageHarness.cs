using Flow.Internal;

namespace Flow;

/// <summary>
/// Drives one stage by hand, without a graph, a worker or a thread (Snabb's <c>selftest()</c>):
/// feed it batches, call its timers, look at what left on each port and at its counters. The
/// stage runs exactly as in a graph — same scatter, same drop accounting, <c>Emit</c> works —
/// but every port leads to a list the test reads.
/// </summary>
/// <remarks>
/// Packets that left on a port stay owned by the harness until <see cref="Take"/> hands them
/// to the caller; <see cref="Dispose"/> frees whatever was not taken, so a leak-checking pool
/// sees every frame back.
/// </remarks>
public sealed class StageHarness : IDisposable
{
    private readonly StageNode _node;
    private readonly CollectingLink[] _links;
    private bool _disposed;

    public StageHarness(Stage stage, string name = "under_test")
    {
        ArgumentNullException.ThrowIfNull(stage);
        if (stage.Node is not null)
        {
            ThrowHelper.ThrowInvalidOperation($"stage '{stage.Name}' is already placed in a graph");
        }
        _node = new StageNode(name, stage, 0);
        _links = new CollectingLink[_node.Ports.Length];
        for (int p = 0; p < _links.Length; p++)
        {
            _links[p] = new CollectingLink();
            _node.Ports[p] = _links[p];
        }
        stage.Node = _node;
    }

    public Stage Stage => _node.Stage;

    /// <summary>Runs the stage over <paramref name="packets"/>, in batches of at most the input capacity.</summary>
    public void Process(ReadOnlySpan<Packet> packets)
    {
        ThrowIfSource();
        while (packets.Length > 0)
        {
            Span<Packet> room = _node.Input.FreeSpace;
            int n = Math.Min(room.Length, packets.Length);
            packets.Slice(0, n).CopyTo(room);
            _node.Input.Commit(n);
            packets = packets.Slice(n);
            _node.RunPending();
        }
        FlushAll();
    }

    /// <summary>Polls a source once with up to <paramref name="burst"/> packets; returns how many it produced.</summary>
    public int Poll(int burst = Burst.Max)
    {
        if (!_node.Stage.IsSource)
        {
            ThrowHelper.ThrowInvalidOperation($"stage '{_node.Name}' is not a source");
        }
        int n = _node.Poll(burst);
        FlushAll();
        return n;
    }

    /// <summary>Runs the stage's timers at <paramref name="nowNanoseconds"/>.</summary>
    public void Tick(long nowNanoseconds)
    {
        _node.Stage.Tick(nowNanoseconds);
        FlushAll();
    }

    /// <summary>Packets that left on <paramref name="port"/> and were not taken yet, in order; still owned by the harness.</summary>
    public IReadOnlyList<Packet> Output(string port) => _links[PortIndex(port)].Packets;

    /// <summary>Hands the packets that left on <paramref name="port"/> to the caller, who must free them.</summary>
    public Packet[] Take(string port)
    {
        List<Packet> packets = _links[PortIndex(port)].Packets;
        Packet[] taken = packets.ToArray();
        packets.Clear();
        return taken;
    }

    /// <summary>The stage's counters, named as in <see cref="GraphStats"/>.</summary>
    public StageStats Stats
    {
        get
        {
            StageDescriptor d = _node.Descriptor;
            var outs = new PortCount[d.Ports.Count];
            for (int p = 0; p < outs.Length; p++)
            {
                outs[p] = new PortCount(d.Ports[p].Name, _node.OutOn(p));
            }
            var drops = new DropCount[d.DropReasons.Count];
            for (int r = 0; r < drops.Length; r++)
            {
                DropReasonDescriptor reason = d.DropReasons[r];
                drops[r] = new DropCount(reason.Symbol, reason.Description, reason.Severity, _node.DropsFor(r));
            }
            long queued = _node.Stage.IsSource ? 0 : _node.Input.Count;
            return new StageStats(_node.Name, d.TypeName, 0, _node.In + queued, _node.Emitted, _node.Consumed,
                queued, _node.Batches, _node.NanosecondsPerPacket, outs, drops, Transmits: d.Transmits);
        }
    }

    /// <summary>Frees every packet not taken and releases the stage (disposing it when it is disposable).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        FlushAll();
        foreach (CollectingLink link in _links)
        {
            foreach (Packet packet in link.Packets)
            {
                PacketPools.Free(new ReadOnlySpan<Packet>(in packet));
            }
            link.Packets.Clear();
        }
        (_node.Stage as IDisposable)?.Dispose();
    }

    private int PortIndex(string port)
    {
        FlushAll();
        PortDescriptor? descriptor = _node.Descriptor.FindPort(port);
        if (descriptor is null)
        {
            ThrowHelper.ThrowArgument(nameof(port),
                $"stage '{_node.Name}' ({_node.Descriptor.TypeName}) has no port '{port}'; its ports are {string.Join(", ", _node.Descriptor.Ports.Select(p => p.Name))}");
        }
        return descriptor.Index;
    }

    private void ThrowIfSource()
    {
        if (_node.Stage.IsSource)
        {
            ThrowHelper.ThrowInvalidOperation($"stage '{_node.Name}' is a source; poll it instead");
        }
    }

    private void FlushAll()
    {
        foreach (CollectingLink link in _links)
        {
            link.Overflow();
        }
    }

    /// <summary>A port that leads to a list: the buffer is emptied into it whenever it fills or the harness looks.</summary>
    private sealed class CollectingLink : OutputLink
    {
        public CollectingLink()
            : base(new PacketBatch())
        {
        }

        public List<Packet> Packets { get; } = [];

        public override void Overflow()
        {
            foreach (Packet packet in Buffer.Packets)
            {
                Packets.Add(packet);
            }
            Buffer.Clear();
        }
    }
}
