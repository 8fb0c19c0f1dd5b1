namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>Heavy benchmark stage: per-destination counters in a large preallocated hash table.</summary>
[Stage("bench_flow_account", "Benchmark stage: hash-table update per packet.", Accepts = typeof(Carries.Ipv4))]
internal sealed class FlowAccount(FlowTable table) : Stage<FlowAccount.Output, FlowAccount.Reason>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "accounted")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("flow table full")]
        TableFull,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            nexts[i] = table.Update(packet.Meta.NextHop, packet.Length) ? To(Output.Out) : Drop(Reason.TableFull);
        }
    }
}
