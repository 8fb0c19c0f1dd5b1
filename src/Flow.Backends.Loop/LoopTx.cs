namespace Flow.Backends.Loop;

/// <summary>
/// Sends packets into one end of a <see cref="LoopWire"/>; the other end's <see cref="LoopRx"/>
/// receives them. Packets are consumed (they belong to the wire, then to the receiver).
/// Drop reason <c>ring_full</c>: the receiver fell behind and the ring towards it was full.
/// </summary>
[Stage("loop_tx", "Sends packets into one end of an in-memory loop wire.", Transmits = true)]
public sealed class LoopTx : Stage<NoOutput, LoopTx.Reason>
{
    private readonly SpscRing<Packet> _ring;
    private long _sent;

    public enum Reason : byte
    {
        [DropReason("the ring towards the other end was full", Severity.Warning)]
        RingFull,
    }

    public LoopTx(LoopEnd end)
    {
        End = end;
        _ring = end.Transmit;
    }

    public LoopTx(LoopOptions options)
        : this(LoopWires.GetOrCreate(options.Wire, options.Capacity).End(options.End))
    {
    }

    public LoopEnd End { get; }

    public long Sent => Volatile.Read(ref _sent);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        int n = _ring.Enqueue(packets);
        nexts.Slice(0, n).Fill(Next.Consumed);
        nexts.Slice(n, packets.Length - n).Fill(Drop(Reason.RingFull));
        Volatile.Write(ref _sent, _sent + n);
    }
}
