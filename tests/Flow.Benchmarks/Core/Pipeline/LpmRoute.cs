namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>Heavy benchmark stage: DIR-24-8 lookup of the destination in a table of a million routes.</summary>
[Stage("bench_lpm", "Benchmark stage: LPM lookup.", Accepts = typeof(Carries.Ipv4))]
internal sealed class LpmRoute(Dir24Lpm table) : Stage<LpmRoute.Output, LpmRoute.Reason>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "routed; next hop in the metadata")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("no route to destination")]
        NoRoute,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            ref PacketMeta meta = ref packets[i].Meta;
            uint hop = table.Lookup(meta.NextHop);
            meta.UserWord = hop;
            nexts[i] = hop != 0 ? To(Output.Out) : Drop(Reason.NoRoute);
        }
    }
}
