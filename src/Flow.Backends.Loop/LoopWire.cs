namespace Flow.Backends.Loop;

/// <summary>
/// An in-memory cable with two ends, A and B, for tests and for joining two graphs in one
/// process: what <see cref="LoopTx"/> sends into one end, <see cref="LoopRx"/> receives at the other.
/// </summary>
/// <remarks>
/// <code>
///   graph 1                                   graph 2 (or the same graph)
///   ... → loop_tx (end A) ──ring A→B──→ loop_rx (end B) → ...
///   ... ← loop_rx (end A) ←─ring B→A─── loop_tx (end B) ← ...
/// </code>
/// Each direction is one SPSC ring of packet handles: zero copy, one producer (the end's
/// <c>loop_tx</c>) and one consumer (the other end's <c>loop_rx</c>), which may run on different
/// workers or graphs. A full ring drops at the sender with reason <c>ring_full</c>. Packets left
/// in a ring when the wire is disposed are freed to their pools, so dispose a wire before the
/// pools (and the graphs owning them) of the packets that may still be on it.
/// </remarks>
public sealed class LoopWire : IDisposable
{
    public const int DefaultCapacity = 4096;

    private readonly SpscRing<Packet> _aToB;
    private readonly SpscRing<Packet> _bToA;

    public LoopWire(string name = "loop", int capacity = DefaultCapacity)
    {
        Name = name;
        _aToB = new SpscRing<Packet>(capacity);
        _bToA = new SpscRing<Packet>(capacity);
        A = new LoopEnd(this, "a", transmit: _aToB, receive: _bToA);
        B = new LoopEnd(this, "b", transmit: _bToA, receive: _aToB);
    }

    public string Name { get; }

    public LoopEnd A { get; }

    public LoopEnd B { get; }

    /// <summary>The end named "a" or "b".</summary>
    public LoopEnd End(string name) => name switch
    {
        "a" or "A" => A,
        "b" or "B" => B,
        _ => throw new ArgumentException($"loop wire '{Name}' has ends 'a' and 'b', not '{name}'", nameof(name)),
    };

    /// <summary>Frees packets still on the wire.</summary>
    public void Dispose()
    {
        Span<Packet> scratch = stackalloc Packet[64];
        foreach (SpscRing<Packet> ring in new[] { _aToB, _bToA })
        {
            int n;
            while ((n = ring.Dequeue(scratch)) > 0)
            {
                PacketPools.Free(scratch.Slice(0, n));
            }
        }
    }
}
