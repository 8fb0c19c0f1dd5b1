using System.Buffers.Binary;
using Flow.Stages.Switching;
using Flow.TestKit;
using Xunit;

namespace Flow.Stages.Tests.Switching;

/// <summary>
/// VLAN-hopping frames built by scapy (an independent encoder of 802.1Q, 802.1ad and the
/// pre-standard 0x9100 tag) sent into a running switch graph; the verdict is read from the
/// classifier's and taggers' drop counters and from what each port's capture received:
/// <code>
///  scapy hex ─ wire ─ classify ─ learn ─ forward ─┬─ tag_host_a ─ capture
///                                                 ├─ tag_host_b ─ capture
///                                                 ├─ tag_host_c ─ capture
///                                                 └─ tag_uplink ─ capture   (trunk: 10 native, 20 tagged)
/// </code>
/// The ports are those of pipelines/switch.json, where the review (H4) found that
/// <c>[VID 0][VID 20]</c> from an access port of VLAN 10 left the uplink as a VLAN-20 frame.
/// </summary>
public sealed class SwitchVlanHoppingTests
{
    private const string A = "02:00:00:00:00:01";

    private static readonly IReadOnlyList<SwitchPortOptions> s_ports =
    [
        SwitchPortOptions.Access("host_a", 10),
        SwitchPortOptions.Access("host_b", 10),
        SwitchPortOptions.Access("host_c", 20),
        SwitchPortOptions.Trunk("uplink", [10, 20], native: 10),
    ];

    /// <summary>The bytes of each frame a scapy list expression builds.</summary>
    private static byte[][] Scapy(string framesExpression)
    {
        string script = $"from scapy.all import *\nfor f in ({framesExpression}):\n    print(bytes(f).hex())\n";
        return Shell.Run(Shell.Python, "-c", script).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(Convert.FromHexString).ToArray();
    }

    private static async Task<(GraphStats Stats, Dictionary<string, CaptureSink> Captures)> SwitchAsync(
        IReadOnlyList<SwitchPortOptions> ports, (ushort Port, byte[] Frame)[] frames)
    {
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .AddSwitch(ports)
            .Add("wire", new FrameListSource(frames)).Connect("wire", SwitchGraph.Classifier);
        var captures = new Dictionary<string, CaptureSink>();
        foreach (SwitchPortOptions port in ports)
        {
            captures[port.Name] = new CaptureSink();
            builder.Add("capture_" + port.Name, captures[port.Name]).Connect(SwitchGraph.TaggerOf(port.Name), "capture_" + port.Name);
        }
        using FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
        return (stats, captures);
    }

    private static ushort EtherTypeAt12(byte[] frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));

    [Fact]
    public async Task StackedTagsFromAnAccessPortReachNoPortWhileAPriorityTaggedFrameIsSwitched()
    {
        byte[][] attacks = Scapy(
            $"[Ether(src='{A}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=0)/Dot1Q(vlan=20)/IP(dst='198.18.20.3')/ICMP()," +
            $" Ether(src='{A}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=0, prio=5)/Dot1Q(vlan=20)/IP(dst='198.18.20.3')/ICMP()," +
            $" Ether(src='{A}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=0)/Dot1AD(vlan=20)/Dot1Q(vlan=20)/IP()/ICMP()," +
            $" Ether(src='{A}', dst='ff:ff:ff:ff:ff:ff')/Dot1AD(vlan=30)/Dot1Q(vlan=20)/IP()/ICMP()," +
            $" Ether(src='{A}', dst='ff:ff:ff:ff:ff:ff', type=0x9100)/Dot1Q(vlan=30)/Dot1Q(vlan=20)/IP()/ICMP()," +
            $" Ether(src='{A}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=20)/Dot1Q(vlan=20)/IP()/ICMP()]");
        byte[][] priorityTagged = Scapy($"[Ether(src='{A}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=0, prio=5)/IP(dst='198.18.10.2')/ICMP()]");
        // From the trunk: a VLAN-10 tag over a VLAN-20 tag, and a priority tag over one, both without Q-in-Q transit.
        byte[][] fromTrunk = Scapy(
            "[Ether(src='02:00:00:00:00:04', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=10)/Dot1Q(vlan=20)/IP()/ICMP()," +
            " Ether(src='02:00:00:00:00:04', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=0)/Dot1Q(vlan=20)/IP()/ICMP()]");

        (GraphStats stats, Dictionary<string, CaptureSink> captures) = await SwitchAsync(s_ports,
            [.. attacks.Select(f => ((ushort)0, f)), (0, priorityTagged[0]), .. fromTrunk.Select(f => ((ushort)3, f))]);

        StageStats classifier = stats.Stage(SwitchGraph.Classifier);
        Assert.Equal(7, classifier.DroppedFor("double_tagged"));
        Assert.Equal(1, classifier.DroppedFor("tagged_on_access"));
        Assert.Equal(1, classifier.OutOn("classified"));
        // The priority-tagged frame floods VLAN 10: host_b and the uplink's native VLAN, both
        // untagged, as the IPv4 frame it carries (802.1Q-2018 6.9.1: a priority tag is not a VLAN).
        byte[] expected = [.. priorityTagged[0].AsSpan(0, 12), .. priorityTagged[0].AsSpan(16)];
        Assert.Equal(expected, Assert.Single(captures["host_b"].Frames));
        Assert.Equal(expected, Assert.Single(captures["uplink"].Frames));
        Assert.Equal(0x0800, EtherTypeAt12(captures["uplink"].Frames[0]));
        Assert.Equal(0, captures["host_a"].Count + captures["host_c"].Count);
    }

    [Fact]
    public async Task QinqTransitFramesLeaveOnlyWhereTheirVlanIsTagged()
    {
        // transit (trunk, Q-in-Q transit, native 10) ─ switch ─┬─ host_a (access 10)
        //                                                      └─ core (trunk, 10 tagged, no native)
        IReadOnlyList<SwitchPortOptions> ports =
        [
            SwitchPortOptions.Access("host_a", 10),
            SwitchPortOptions.Trunk("transit", [10, 20], native: 10) with { QinqTransit = true },
            SwitchPortOptions.Trunk("core", [10, 20]),
        ];
        byte[][] frames = Scapy(
            "[Ether(src='02:00:00:00:00:04', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=10)/Dot1Q(vlan=20)/IP()/ICMP()," +
            " Ether(src='02:00:00:00:00:04', dst='ff:ff:ff:ff:ff:ff')/Dot1AD(vlan=100)/Dot1Q(vlan=20)/IP()/ICMP()]");

        (GraphStats stats, Dictionary<string, CaptureSink> captures) = await SwitchAsync(ports, [.. frames.Select(f => ((ushort)1, f))]);

        Assert.Equal(2, stats.Stage(SwitchGraph.Classifier).OutOn("classified"));
        // host_a would see VLAN 20 and VLAN 100 tags as its first EtherType: both are dropped there.
        Assert.Equal(2, stats.Stage(SwitchGraph.TaggerOf("host_a")).DroppedFor("double_tagged"));
        Assert.Equal(0, captures["host_a"].Count);
        // core gets both in VLAN 10, tagged: the customer's stack stays inside the outer tag.
        Assert.Equal(2, captures["core"].Count);
        Assert.Equal(frames[0], captures["core"].Frames[0]);
        Assert.Equal((0x8100, 10), (EtherTypeAt12(captures["core"].Frames[1]), BinaryPrimitives.ReadUInt16BigEndian(captures["core"].Frames[1].AsSpan(14))));
        Assert.Equal(frames[1].AsSpan(12).ToArray(), captures["core"].Frames[1].AsSpan(16).ToArray());
    }
}
