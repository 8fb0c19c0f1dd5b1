using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;

namespace Flow.Stages.Tests.Routing;

/// <summary>
/// <c>ipv4_lookup</c> allocates nothing in steady state — forward, local, unreachable, blackhole
/// drops and ECMP with a software hash — measured on the worker thread after a warm-up
/// (TestKit's AllocationProbe).
/// </summary>
public sealed class Ipv4LookupAllocationTests
{
    [Fact]
    public async Task SteadyStateLookupAllocatesNothing()
    {
        using var routes = new Ipv4RouteTable(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 16 } });
        routes.Add(Ipv4Prefix.Parse("0.0.0.0/0"), Ipv4Route.Via(RoutingFrames.Ip("203.0.113.1"), 2));
        routes.Add(Ipv4Prefix.Parse("192.168.1.1/32"), Ipv4Route.Local(1));
        routes.Add(Ipv4Prefix.Parse("10.66.0.0/16"), Ipv4Route.Blackhole);
        routes.Add(Ipv4Prefix.Parse("10.77.0.0/16"), Ipv4Route.Reject);
        routes.Add(Ipv4Prefix.Parse("198.18.0.0/15"), Ipv4Route.Multipath(
            new EcmpMember(RoutingFrames.Ip("192.168.1.10"), 1), new EcmpMember(RoutingFrames.Ip("192.168.1.11"), 1)));
        var probe = new RoutedTrafficProbe(warmup: 50_000, total: 400_000);
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("probe", probe)
            .Add("as_ipv4", new ValidatedIpv4())
            .Add("lookup", new Ipv4Lookup(routes))
            .Add("forward_sink", new NullSink())
            .Add("local_sink", new NullSink())
            .Add("unreachable_sink", new NullSink())
            .Connect("probe", "as_ipv4")
            .Connect("as_ipv4", "lookup")
            .Connect("lookup:forward", "forward_sink")
            .Connect("lookup:local", "local_sink")
            .Connect("lookup:unreachable", "unreachable_sink")
            .Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
        Assert.True(probe.Measured, "the probe never reached its warm-up count");
        StageStats lookup = stats.Stage("lookup");
        Assert.True(lookup.OutOn("forward") > 0 && lookup.OutOn("local") > 0 && lookup.OutOn("unreachable") > 0, lookup.ToString());
        Assert.True(lookup.DroppedFor("blackhole") > 0, lookup.ToString());
        Assert.Equal(0, probe.AllocatedBytes);
    }

    /// <summary>Frame i goes to one of five destinations (default, local, blackhole, reject, ECMP with varying ports).</summary>
    [Stage("routed_traffic_probe", "Test source measuring allocations on its worker.")]
    private sealed class RoutedTrafficProbe(long warmup, long total) : AllocationProbe(warmup, total)
    {
        private static readonly uint[] s_destinations = [0x0808_0808, 0xC0A8_0101, 0x0A42_0101, 0x0A4D_0101, 0xC612_0001];

        protected override void Write(Packet packet, long sequence)
        {
            packet.TrySetLength(60);
            RoutingFrames.Write(packet.Data, 0xC0A8_0102, s_destinations[sequence % 5], sourcePort: (ushort)(1000 + (sequence & 63)));
            packet.Meta.L3Offset = RoutingFrames.L3Offset;
            packet.Meta.Hash = 0;
        }
    }

    /// <summary>Stands in for <c>ipv4_input</c>: the probe's frames are valid IPv4 with L3Offset set, so it only retypes them.</summary>
    [Stage("validated_ipv4", "Test stage: passes frames on as validated IPv4.", Accepts = typeof(Carries.Ethernet))]
    private sealed class ValidatedIpv4 : Stage<ValidatedIpv4.Output, NoDrop>
    {
        public enum Output : byte
        {
            [Port(typeof(Carries.Ipv4), "every frame")]
            Ipv4,
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) => nexts[..packets.Length].Fill(To(Output.Ipv4));
    }
}
