namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>Benchmark stage: IPv4 frames to <c>ipv4</c> (L3 offset and destination in the metadata), the rest to <c>other</c>.</summary>
[Stage("bench_classify", "Benchmark stage: ethertype and IPv4 destination.", Accepts = typeof(Carries.Ethernet))]
internal sealed class Ipv4Classify : Stage<Ipv4Classify.Output, NoDrop>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "IPv4")]
        Ipv4,
        [Port(typeof(Carries.Ethernet), "anything else")]
        Other,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        nexts.Slice(0, packets.Length).Fill(To(Output.Ipv4));
        for (int i = 0; i < packets.Length; i++)
        {
            if (!PacketWork.Classify(packets[i]))
            {
                nexts[i] = To(Output.Other);
            }
        }
    }
}
