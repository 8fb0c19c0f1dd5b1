namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>Benchmark stage: TTL decrement with incremental checksum and MAC rewrite.</summary>
[Stage("bench_forward", "Benchmark stage: TTL, checksum, MAC rewrite.", Accepts = typeof(Carries.Ipv4))]
internal sealed class TtlForward : Stage<TtlForward.Output, TtlForward.Reason>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "forwarded")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("TTL expired", Severity.Info)]
        TtlExpired,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
        for (int i = 0; i < packets.Length; i++)
        {
            if (!PacketWork.Forward(packets[i]))
            {
                nexts[i] = Drop(Reason.TtlExpired);
            }
        }
    }
}
