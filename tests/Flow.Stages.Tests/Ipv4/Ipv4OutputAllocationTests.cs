using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Ipv4;

/// <summary>
/// <c>ipv4_output</c> allocates nothing in steady state on any of its paths — packets that fit,
/// DF packets turned into fragmentation-needed requests, datagrams cut into fragments — measured
/// on the worker thread (TestKit's AllocationProbe):
/// <code>
///  probe ─ route_stub ─ ipv4_output ─┬─ resolve ─ sink
///                                    └─ icmp ──── sink
/// </code>
/// </summary>
public sealed class Ipv4OutputAllocationTests
{
    [Fact]
    public async Task FittingFragmentingAndRefusingAllocateNothing()
    {
        byte[][] templates = Scapy("[" +
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10')/UDP()/Raw(b'a'*500)," +               // fits 576
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', flags='DF')/UDP()/Raw(b'b'*1400)," + // DF, too big
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10')/UDP()/Raw(b'c'*1400)]");              // 3 fragments
        using var routes = new Ipv4RouteTable(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 16 } });
        routes.Add(Ipv4Prefix.Parse("198.51.100.0/24"), Ipv4Route.Connected(Wan));
        uint hop = routes.Fib.Lookup(0xC633_640A);
        var probe = new Probe(templates, warmup: 30_000, total: 150_000);
        var options = new Ipv4OutputOptions
        {
            Interfaces =
            [
                new() { Name = "lan", Mac = LanMac, Addresses = ["10.0.0.1/24"] },
                new() { Name = "wan", Mac = WanMac, Addresses = ["192.0.2.1/24"], Mtu = 576 },
            ],
        };
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("probe", probe)
            .Add("route_stub", new RouteStub(hop))
            .Add("ipv4_output", new Ipv4Output(options, routes))
            .Add("sink", new NullSink())
            .Connect("probe", "route_stub")
            .Connect("route_stub", "ipv4_output")
            .Connect("ipv4_output:resolve", "sink")
            .Connect("ipv4_output:icmp", "sink");
        using FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(120));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
        Assert.True(probe.Measured, "the probe never reached its warm-up count");
        StageStats output = stats.Stage("ipv4_output");
        Assert.Equal(50_000, output.OutOn("icmp"));
        Assert.Equal(50_000 + 3 * 50_000, output.OutOn("resolve"));
        Assert.Equal(0, output.DroppedTotal);
        Assert.Equal(0, probe.AllocatedBytes);
    }

    [Stage("ipv4_output_probe", "Test source measuring allocations on its worker.")]
    private sealed class Probe(byte[][] templates, long warmup, long total) : AllocationProbe(warmup, total)
    {
        protected override void Write(Packet packet, long sequence)
        {
            byte[] template = templates[sequence % templates.Length];
            packet.TrySetLength(template.Length);
            template.CopyTo(packet.Data);
            packet.Meta.InputPort = Lan;
        }
    }

    /// <summary>Stands in for eth_classify and ipv4_lookup: L3 at 14, the one next hop.</summary>
    [Stage("route_stub", "Test stage: L3 offset 14 and a fixed next hop.")]
    private sealed class RouteStub(uint hop) : Stage<RouteStub.Output, NoDrop>
    {
        public enum Output : byte
        {
            [Port(typeof(Carries.Ipv4), "every packet, routed")]
            Out,
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                packets[i].Meta.L3Offset = 14;
                packets[i].Meta.NextHop = hop;
                nexts[i] = To(Output.Out);
            }
        }
    }
}
