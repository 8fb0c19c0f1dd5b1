namespace Flow.Backends.Loop;

/// <summary>
/// Receives what the other end of a <see cref="LoopWire"/> sent: zero copy, in order.
/// Output <c>out</c>: the frames (Ethernet). No drop reasons: the sender counts a full ring.
/// </summary>
[Stage("loop_rx", "Receives packets from one end of an in-memory loop wire.")]
public sealed class LoopRx : SourceStage<LoopRx.Output, NoDrop>
{
    private readonly SpscRing<Packet> _ring;
    private readonly ushort _inputPort;
    private long _received;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames from the other end")]
        Out,
    }

    /// <param name="end">The end to receive at.</param>
    /// <param name="inputPort">The <see cref="PacketMeta.InputPort"/> received frames carry; unset: 0, the queue index of an end.</param>
    public LoopRx(LoopEnd end, ushort? inputPort = null)
    {
        End = end;
        _ring = end.Receive;
        _inputPort = inputPort ?? 0;
    }

    public LoopRx(LoopOptions options)
        : this(LoopWires.GetOrCreate(options.Wire, options.Capacity).End(options.End), options.InputPort)
    {
    }

    public LoopEnd End { get; }

    public long Received => Volatile.Read(ref _received);

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        int n = _ring.Dequeue(packets);
        for (int i = 0; i < n; i++)
        {
            packets[i].Meta.InputPort = _inputPort;
            nexts[i] = To(Output.Out);
        }
        Volatile.Write(ref _received, _received + n);
        return n;
    }
}
