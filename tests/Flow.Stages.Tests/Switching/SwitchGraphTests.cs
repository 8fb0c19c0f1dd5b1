using Flow.Samples.Switch;
using Flow.Stages.Switching;
using Flow.Stages.Vlan;
using Flow.TestKit;
using Xunit;
using static Flow.Samples.Switch.DemoSwitch;

namespace Flow.Stages.Tests.Switching;

/// <summary>
/// The code-built 4-port switch of samples/Switch with simulated hosts on in-memory ports (see
/// <see cref="DemoSwitch"/> for the topology and flows), run as a real graph on a worker.
/// </summary>
public sealed class SwitchGraphTests
{
    private const long Frames = 3_000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static void AssertExactlyOnceInOrder(HostSink sink, uint host, uint flow, ushort vlan, string what)
    {
        IReadOnlyList<long> sequences = sink.From(host, flow);
        Assert.True(sequences.Count == Frames, $"{what}: {sequences.Count} of {Frames} frames arrived");
        for (int i = 0; i < sequences.Count; i++)
        {
            Assert.True(sequences[i] == i, $"{what}: frame {i} is sequence {sequences[i]} (duplicated, lost or reordered)");
        }
        Assert.True(sink.VlanOf(host, flow) == vlan, $"{what}: arrived with VLAN tag {sink.VlanOf(host, flow)}, expected {vlan} (0 = untagged)");
    }

    [Fact]
    public async Task FourHostsExchangeStampedTrafficExactlyOnceInOrderWithinTheirVlans()
    {
        var demo = new DemoSwitch(Frames);
        using (FlowGraph graph = demo.Graph)
        {
            await graph.RunAsync().WaitAsync(Limit);
            GraphStats stats = graph.GetStats();
            Assert.True(stats.IsBalanced, stats.ToString());

            HostSink a = demo.Sinks[0], b = demo.Sinks[1], c = demo.Sinks[2], d = demo.Sinks[3];
            // Unicast within a VLAN, access to access and across the trunk both ways.
            AssertExactlyOnceInOrder(b, 0xA, 0, 0, "a -> b");
            AssertExactlyOnceInOrder(d, 0xA, 1, 10, "a -> d (trunk, tagged 10)");
            AssertExactlyOnceInOrder(a, 0xB, 0, 0, "b -> a");
            AssertExactlyOnceInOrder(d, 0xB, 1, 10, "b -> d (trunk, tagged 10)");
            AssertExactlyOnceInOrder(d, 0xC, 0, 20, "c -> d (trunk, tagged 20)");
            AssertExactlyOnceInOrder(a, 0xD, 0, 0, "d -> a (tag 10 popped)");
            AssertExactlyOnceInOrder(b, 0xD, 1, 0, "d -> b (tag 10 popped)");
            AssertExactlyOnceInOrder(c, 0xD, 2, 0, "d -> c (tag 20 popped)");

            // Broadcast reaches every other port of VLAN 10 once, and never leaks into VLAN 20.
            AssertExactlyOnceInOrder(b, 0xA, 3, 0, "a broadcast at b");
            AssertExactlyOnceInOrder(d, 0xA, 3, 10, "a broadcast at d");
            Assert.Empty(c.From(0xA, 3));

            // Unknown unicast floods once per other port of the VLAN, every time.
            AssertExactlyOnceInOrder(b, 0xA, 4, 0, "a -> unknown, flooded to b");
            AssertExactlyOnceInOrder(d, 0xA, 4, 10, "a -> unknown, flooded to d");
            Assert.Empty(c.From(0xA, 4));

            // VLAN isolation: c is in VLAN 20, so a's frames to c's MAC only flood VLAN 10.
            Assert.Empty(c.From(0xA, 2));
            AssertExactlyOnceInOrder(b, 0xA, 2, 0, "a -> c (other VLAN), flooded within VLAN 10 at b");

            // Nothing goes back out of the port it came in on.
            for (uint flow = 0; flow < 5; flow++)
            {
                Assert.Empty(a.From(0xA, flow));
            }
            Assert.Empty(d.From(0xD, 0));
            Assert.Equal(0, a.Unstamped + b.Unstamped + c.Unstamped + d.Unstamped);

            IReadOnlyList<MacEntry> table = await demo.Control.ShowMacTableAsync();
            Assert.Equal(
                [(10, A, "host_a"), (10, B, "host_b"), (10, D, "uplink"), (20, C, "host_c"), (20, D, "uplink")],
                table.Select(e => ((int)e.Vlan, e.Mac, e.Port)).OrderBy(e => e.Item1).ThenBy(e => e.Item3).ToList());

            StageStats forward = stats.Stage(SwitchGraph.Forwarder);
            Assert.Equal(0, forward.DroppedTotal);
            Assert.Equal(0, stats.Stage(SwitchGraph.Classifier).DroppedTotal);
            // Every frame leaving the trunk is tagged (it has no native VLAN); none leaving an access port is.
            VlanTagger uplink = graph.GetStage<VlanTagger>(SwitchGraph.TaggerOf("uplink"));
            Assert.Equal(0, uplink.Untagged);
            Assert.True(uplink.Tagged >= Frames * 6, $"{uplink.Tagged} frames left the trunk tagged");
            Assert.Equal(0, graph.GetStage<VlanTagger>(SwitchGraph.TaggerOf("host_a")).Tagged);
        }
    }

    [Fact]
    public async Task LearnedHostsAgeOutOnTheGraphClock()
    {
        var clock = new ManualClock();
        var demo = new DemoSwitch(100, clock);
        using FlowGraph graph = demo.Graph;
        await graph.RunAsync().WaitAsync(Limit);
        Assert.Equal(5, (await demo.Control.ShowMacTableAsync()).Count);
        clock.Advance(TimeSpan.FromSeconds(301));
        await graph.InvokeAsync<MacLearner>(SwitchGraph.Learner, l => l.Tick(clock.NowNanoseconds));
        Assert.Empty(await demo.Control.ShowMacTableAsync());
        Assert.Equal(5, (await demo.Control.LearnerCountersAsync()).Aged);
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task ControlCommandsReachARunningSwitch()
    {
        var demo = new DemoSwitch(2_000_000);
        using FlowGraph graph = demo.Graph;
        graph.Start();
        try
        {
            SwitchControl control = demo.Control;
            await Waits.Until(async () => (await control.ShowMacTableAsync()).Count >= 5, "the switch to learn the four hosts", Limit);

            await control.AddStaticAsync(20, Nobody, "host_c");
            Assert.Contains(await control.ShowMacTableAsync(), e => e.Mac == Nobody && e.IsStatic && e.Port == "host_c");

            var unknownPort = await Assert.ThrowsAsync<SwitchConfigurationException>(() => control.AddStaticAsync(10, Nobody, "eth7"));
            Assert.Contains("no switch port is named 'eth7'; the ports are host_a, host_b, host_c, uplink", unknownPort.Message);
            var wrongVlan = await Assert.ThrowsAsync<SwitchConfigurationException>(() => control.AddStaticAsync(10, Nobody, "host_c"));
            Assert.Contains("port 'host_c' does not carry VLAN 10", wrongVlan.Message);
            var badMode = await Assert.ThrowsAsync<SwitchConfigurationException>(() =>
                control.SetPortAsync(SwitchPortOptions.Trunk("uplink", [10, 5000])));
            Assert.Contains("port 'uplink': allowed VLAN 5000 is out of range 1 to 4094", badMode.Message);

            // host_c joins VLAN 10: its entries are flushed and relearned in VLAN 10.
            await control.SetPortAsync(SwitchPortOptions.Access("host_c", 10));
            await Waits.Until(async () => (await control.ShowMacTableAsync()).Any(e => e.Mac == C && e.Vlan == 10 && e.Port == "host_c"),
                "host c to be relearned in VLAN 10", Limit);

            int flushed = await control.FlushAsync();
            Assert.True(flushed >= 1);
            Assert.NotEmpty(await control.PortCountersAsync());
            Assert.Contains(await control.VlanCountersAsync(), v => v.Vlan == 10 && v.Received > 0 && v.Flooded > 0);
        }
        finally
        {
            await graph.StopAsync(drain: true).WaitAsync(Limit);
        }
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
    }
}
