using Flow.Stages.Icmp;
using Flow.Stages.Icmp.Internal;
using Flow.Stages.Routing;
using Flow.Stages.Tests.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;
using static Flow.Stages.Tests.Routing.RouterControlGraph;

namespace Flow.Stages.Tests.Icmp;

/// <summary>
/// <c>icmp show</c> by hand after real traffic: three packets with TTL 1 through eth_classify,
/// ipv4_input, ipv4_lookup, ipv4_forward (time exceeded) and icmp_error with a per-destination
/// burst of 1 — one error sent, two suppressed — read back with the limits and the global
/// bucket's tokens, refilled by the manual clock.
/// </summary>
public sealed class IcmpControlCommandsTests : IDisposable
{
    private readonly Ipv4RouteTable _table = new(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 8 } });
    private readonly ManualClock _clock = new();

    public void Dispose() => _table.Dispose();

    private static IControlCommand IcmpShow => IcmpControlCommands.All.Command("icmp show");

    private PathOptions Path(int frames) => new(Interfaces(), new Ipv4Lookup(new Ipv4LookupOptions
    {
        Interfaces = Interfaces(),
        Routes = [new() { Prefix = "198.51.100.0/24", Via = "192.0.2.2" }],
    }, _table))
    {
        Icmp = new IcmpErrorSenderOptions { GlobalPerSecond = 100, GlobalBurst = 10, PerDestinationBurst = 1, PerDestinationInterval = TimeSpan.FromMilliseconds(1500) },
        Clock = _clock,
        Frames = [.. Enumerable.Repeat((Lan, ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=1)/UDP(dport=53)")), frames)],
    };

    [Fact]
    public void IcmpErrorDeclaresIcmpShow()
    {
        IControlledStage sender = new IcmpErrorSender(new IcmpErrorSenderOptions { Interfaces = Interfaces() }, _clock);
        Assert.Equal(["icmp show"], sender.ControlCommands.Select(c => c.Name));
    }

    [Fact]
    public async Task IcmpShowGivesLimitsTokensSentAndSuppressedCounts()
    {
        using FlowGraph graph = Build(Path(3));
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());

        ControlReply reply = await graph.RunAsync(IcmpShow);
        Assert.Equal(["stage", "what", "name", "value"], reply.Columns);
        Assert.Equal("icmp_error: ICMP errors", reply.Message);
        string[] lines = reply.Lines();
        Assert.Equal(
        [
            "icmp_error limit global_per_second 100",
            "icmp_error limit global_burst 10",
            "icmp_error limit per_destination_interval 1500ms",
            "icmp_error limit per_destination_burst 1",
            "icmp_error limit destinations 4096",
            "icmp_error tokens global 9",
            "icmp_error sent time_exceeded 1",
            "icmp_error sent net_unreachable 0",
            "icmp_error sent host_unreachable 0",
            "icmp_error sent protocol_unreachable 0",
            "icmp_error sent port_unreachable 0",
            "icmp_error sent fragmentation_needed 0",
            "icmp_error sent admin_prohibited 0",
        ], lines[..13]);
        Assert.Contains("icmp_error suppressed rate_limited_destination 2", lines);
        Assert.Contains("icmp_error suppressed rate_limited 0", lines);
        Assert.Contains("icmp_error suppressed about_icmp_error 0", lines);
        Assert.Contains("icmp_error dropped bad_request 0", lines);

        // The global bucket refills at 100 a second: 10 ms give one token back.
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Contains("icmp_error tokens global 10", (await graph.RunAsync(IcmpShow)).Lines());
    }

    [Fact]
    public async Task EverySenderIsShownUnlessStageNamesOne()
    {
        using FlowGraph graph = Build(Path(0), Path(0) with { Icmp = new IcmpErrorSenderOptions { GlobalPerSecond = 0 } });
        string[] both = (await graph.RunAsync(IcmpShow)).Lines();
        Assert.Contains("icmp_error limit global_per_second 100", both);
        Assert.Contains("icmp_error_2 limit global_per_second unlimited", both);
        Assert.Contains("icmp_error_2 tokens global unlimited", both);
        ControlReply one = await graph.RunAsync(IcmpShow, "icmp_error_2");
        Assert.Equal("icmp_error_2: ICMP errors", one.Message);
        Assert.All(one.Rows, r => Assert.Equal("icmp_error_2", r[0]));
    }
}
