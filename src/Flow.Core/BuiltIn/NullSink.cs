namespace Flow;

/// <summary>
/// Frees every packet it receives (DPDK's <c>pkt_drop</c> without the "drop" meaning: these
/// packets were delivered, not lost). Counted as consumed.
/// </summary>
[Stage("null_sink", "Takes packets and frees them; counts them as delivered.")]
public sealed class NullSink : Stage<NoOutput, NoDrop>
{
    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        PacketPools.Free(packets);
        nexts.Slice(0, packets.Length).Fill(Next.Consumed);
    }
}
