namespace Flow.Backends.Loop;

/// <summary>
/// The null device's transmit side: takes every packet, counts it as sent and frees it (what
/// DPDK's net_null does on tx). Packets are consumed.
/// </summary>
[Stage("null_tx", "Transmit side of the null device: frees packets, counting them as sent.", Transmits = true)]
public sealed class NullTx : Stage<NoOutput, NoDrop>
{
    private long _sent;

    public long Sent => Volatile.Read(ref _sent);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        PacketPools.Free(packets);
        nexts.Slice(0, packets.Length).Fill(Next.Consumed);
        Volatile.Write(ref _sent, _sent + packets.Length);
    }
}
