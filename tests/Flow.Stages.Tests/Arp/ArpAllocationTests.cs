using Flow.Stages.Arp;
using Flow.Stages.Ethernet;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Arp.ArpRouter;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Arp;

/// <summary>
/// <c>arp</c> and <c>arp_resolve</c> allocate nothing in steady state — learning from replies,
/// rewriting for a resolved gateway, holding for and probing a dead address, sending held packets
/// to unreachable — measured on the worker thread after a warm-up (TestKit's AllocationProbe).
/// </summary>
public sealed class ArpAllocationTests
{
    [Fact]
    public async Task SteadyStateResolutionAllocatesNothing()
    {
        using var routes = new Ipv4RouteTable(new Ipv4RouteTableOptions { MaxNextHops = 1024, Fib = new Ipv4FibOptions { Tbl8Groups = 16, MaxRoutes = 1024 } });
        routes.Add(Ipv4Prefix.Parse("10.0.0.0/24"), Ipv4Route.Connected(Lan));
        routes.Add(Ipv4Prefix.Parse("198.51.100.0/24"), Ipv4Route.Via(Address("192.0.2.2"), Wan));
        using var table = new NeighbourTable(routes);
        var probe = new ArpTrafficProbe(warmup: 40_000, total: 300_000);
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("probe", probe)
            .Add("eth_classify", new EtherClassifier(new EtherClassifierOptions { Interfaces = Interfaces() }))
            .Add("arp", new ArpResponder(new ArpResponderOptions { Interfaces = Interfaces() }, table, MonotonicClock.Instance))
            .Add("as_ipv4", new AsIpv4())
            .Add("lookup", new Ipv4Lookup(routes))
            .Add("arp_resolve", new ArpResolver(new ArpResolverOptions { Interfaces = Interfaces() }, table, routes, MonotonicClock.Instance))
            .Add("sink", new NullSink())
            .Connect("probe", "eth_classify")
            .Connect("eth_classify:arp", "arp")
            .Connect("eth_classify:ipv4", "as_ipv4")
            .Connect("as_ipv4", "lookup")
            .Connect("lookup:forward", "arp_resolve")
            .Connect("lookup:local", "sink")
            .Connect("lookup:unreachable", "sink")
            .Connect("arp:lan", "sink")
            .Connect("arp:wan", "sink")
            .Connect("arp_resolve:lan", "sink")
            .Connect("arp_resolve:wan", "sink")
            .Connect("arp_resolve:unreachable", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
        Assert.True(probe.Measured, "the probe never reached its warm-up count");
        StageStats resolve = stats.Stage("arp_resolve");
        Assert.True(resolve.OutOn("wan") > 0 && resolve.Consumed > 0 && resolve.DroppedFor("hold_full") > 0, resolve.ToString());
        Assert.True(stats.Stage("arp").Consumed > 0, stats.Stage("arp").ToString());
        Assert.Equal(0, probe.AllocatedBytes);
    }

    /// <summary>Frame i: a reply from the WAN gateway, two packets routed via it, one to a dead LAN address.</summary>
    [Stage("arp_traffic_probe", "Test source measuring allocations on its worker.")]
    private sealed class ArpTrafficProbe(long warmup, long total) : AllocationProbe(warmup, total)
    {
        private static readonly byte[] s_reply = Reply(Gateway, "192.0.2.2", Mac(WanMac), "192.0.2.1");
        private static readonly byte[] s_routed = Ipv4Frame("198.51.100.7");
        private static readonly byte[] s_dead = Ipv4Frame("10.0.0.99");

        protected override void Write(Packet packet, long sequence)
        {
            byte[] frame = (sequence & 3) switch { 0 => s_reply, 3 => s_dead, _ => s_routed };
            packet.TrySetLength(frame.Length);
            frame.CopyTo(packet.Data);
            packet.Meta.InputPort = (sequence & 3) == 0 ? Wan : Lan;
        }

        private static byte[] Ipv4Frame(string destination)
        {
            var frame = new byte[60];
            Router.CopyTo(frame);
            Host.CopyTo(frame.AsSpan(6));
            frame[12] = 0x08;
            frame[14] = 0x45;
            frame[17] = 46;
            frame[22] = 64;
            frame[23] = 17;
            Address("10.0.0.10").CopyTo(frame.AsSpan(26));
            Address(destination).CopyTo(frame.AsSpan(30));
            return frame;
        }
    }

    /// <summary>Stands in for <c>ipv4_input</c>: retypes eth_classify's IPv4 frames as validated.</summary>
    [Stage("arp_test_as_ipv4", "Test stage: passes frames on as validated IPv4.", Accepts = typeof(Carries.Ethernet))]
    private sealed class AsIpv4 : Stage<AsIpv4.Output, NoDrop>
    {
        public enum Output : byte
        {
            [Port(typeof(Carries.Ipv4), "every frame")]
            Ipv4,
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) => nexts[..packets.Length].Fill(To(Output.Ipv4));
    }
}
