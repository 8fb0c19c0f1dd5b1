using Flow.Stages.Switching;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Switching;

/// <summary>Bad frames sent into a running switch graph are dropped by the classifier, each counted under its reason.</summary>
public sealed class SwitchBadInputTests
{
    [Fact]
    public async Task BadFramesAreDroppedAndCountedWhileGoodOnesAreSwitched()
    {
        (ushort Port, byte[] Frame)[] frames =
        [
            (0, Frame(Host(2), Host(1))),                            // good: floods to host_b and uplink
            (0, new byte[10]),                                       // runt
            (0, Frame(Host(2), Host(1), length: 1515)),              // oversize
            (3, Frame(Host(2), Host(1), tci: 10, length: 16)),       // truncated tag
            (3, Frame(Host(2), Host(1), tci: 0x0FFF)),               // reserved VLAN
            (3, Frame(Host(2), Host(1), tci: 40)),                   // VLAN the trunk does not carry
            (1, Frame(Host(2), Host(1), tci: 10)),                   // tagged on an access port
            (2, Frame(Host(2), Multicast)),                          // group source
            (9, Frame(Host(2), Host(1))),                            // no such port
            (3, Frame(Host(1), Host(2), tci: 10)),                   // good: known unicast to host_a
        ];
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .AddSwitch(FourPorts())
            .Add("wire", new FrameListSource(frames)).Connect("wire", SwitchGraph.Classifier);
        foreach (SwitchPortOptions port in FourPorts())
        {
            builder.Add("sink_" + port.Name, new NullSink()).Connect(SwitchGraph.TaggerOf(port.Name), "sink_" + port.Name);
        }
        using FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
        StageStats classifier = stats.Stage(SwitchGraph.Classifier);
        Assert.Equal(1, classifier.DroppedFor("runt"));
        Assert.Equal(1, classifier.DroppedFor("oversize"));
        Assert.Equal(2, classifier.DroppedFor("bad_tag"));
        Assert.Equal(1, classifier.DroppedFor("vlan_not_allowed"));
        Assert.Equal(1, classifier.DroppedFor("tagged_on_access"));
        Assert.Equal(1, classifier.DroppedFor("group_source"));
        Assert.Equal(1, classifier.DroppedFor("unknown_port"));
        Assert.Equal(2, classifier.OutOn("classified"));
        Assert.Equal(1, stats.Stage("sink_host_a").Consumed);
        Assert.Equal(1, stats.Stage("sink_host_b").Consumed);
        Assert.Equal(1, stats.Stage("sink_uplink").Consumed);
        Assert.Equal(0, stats.Stage("sink_host_c").Consumed);

        IReadOnlyList<SwitchPortCounters> ports = await new SwitchControl(graph).PortCountersAsync();
        Assert.Equal(new SwitchPortCounters("uplink", 1, 3, 0, 1), ports[3]);
    }
}
