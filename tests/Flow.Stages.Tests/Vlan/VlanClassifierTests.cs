using Flow.Stages.Switching;
using Flow.Stages.Vlan;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Vlan;

/// <summary>Ports: host_a (0) and host_b (1) access 10, host_c (2) access 20, uplink (3) trunk 10/20/30 native 99.</summary>
public sealed class VlanClassifierTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(1024);
    private readonly StageHarness _harness;

    public VlanClassifierTests()
    {
        _harness = new StageHarness(new VlanClassifier(new VlanClassifierOptions { Ports = FourPorts() }), "classify");
    }

    private VlanClassifier Classifier => (VlanClassifier)_harness.Stage;

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    private Packet Classify(ushort port, byte[] frame)
    {
        _harness.Process([_pool.On(port, frame)]);
        IReadOnlyList<Packet> output = _harness.Output("classified");
        Assert.Single(output);
        return output[0];
    }

    private void AssertDropped(string reason, ushort port, byte[] frame)
    {
        _harness.Process([_pool.On(port, frame)]);
        Assert.Empty(_harness.Output("classified"));
        Assert.Equal(1, _harness.Stats.DroppedFor(reason));
        Assert.Equal(1, _harness.Stats.DroppedTotal);
    }

    [Fact]
    public void UntaggedFrameOnAnAccessPortJoinsThePortsVlan()
    {
        Packet packet = Classify(0, Frame(Host(2), Host(1)));
        Assert.Equal(10, packet.Meta.VlanTci);
        Assert.True((packet.Meta.Flags & PacketFlags.VlanStripped) != 0);
        Assert.Equal(64, packet.Length);
        Assert.Equal(TestEtherType, TpidAt12(packet));
    }

    [Fact]
    public void PriorityTaggedFrameOnAnAccessPortKeepsItsPriorityAndLosesTheTag()
    {
        Packet packet = Classify(2, Frame(Host(2), Host(1), tci: 0xA000)); // PCP 5, VID 0
        Assert.Equal(0xA000 | 20, packet.Meta.VlanTci);
        Assert.Equal(60, packet.Length);
        Assert.Equal(TestEtherType, TpidAt12(packet));
    }

    [Fact]
    public void TaggedFrameOnATrunkIsStrippedIntoMetadataWithMacsIntact()
    {
        byte[] frame = Frame(Host(2), Host(1), tci: 0x6000 | 20, length: 100, fill: 0x5A);
        Packet packet = Classify(3, frame);
        Assert.Equal(0x6000 | 20, packet.Meta.VlanTci);
        Assert.Equal(96, packet.Length);
        Assert.Equal(Host(2), new Flow.Protocols.Ethernet.MacAddress(packet.Data));
        Assert.Equal(Host(1), new Flow.Protocols.Ethernet.MacAddress(packet.Data[6..]));
        Assert.Equal(TestEtherType, TpidAt12(packet));
        Assert.True(packet.Data[14..].SequenceEqual(frame.AsSpan(18)));
    }

    [Fact]
    public void UntaggedFrameOnATrunkJoinsTheNativeVlan()
    {
        Packet packet = Classify(3, Frame(Host(2), Host(1)));
        Assert.Equal(99, packet.Meta.VlanTci);
    }

    [Fact]
    public void FrameAlreadyStrippedByTheBackendIsTakenAsTagged()
    {
        Packet packet = _pool.On(3, Frame(Host(2), Host(1)));
        packet.Meta.VlanTci = 30;
        packet.Meta.Flags |= PacketFlags.VlanStripped;
        _harness.Process([packet]);
        Assert.Equal(30, Assert.Single(_harness.Output("classified")).Meta.VlanTci);
        Assert.Equal(64, packet.Length);
    }

    /// <summary>Tags written TPID:TCI in hex, outermost first: "8100:0000 8100:0014" is [VID 0][VLAN 20].</summary>
    private static byte[] Stack(string tags) =>
        Stacked(Host(2), Host(1), tags.Split(' ').Select(t => (Convert.ToUInt16(t[..4], 16), Convert.ToUInt16(t[5..], 16))).ToArray());

    [Theory]
    [InlineData(0, "8100:0000 8100:0014")] // priority tag over VLAN 20: the VLAN-hopping frame
    [InlineData(0, "8100:a000 8100:0014")] // the same with priority 5
    [InlineData(0, "8100:0000 88a8:0014")] // priority tag over a service tag
    [InlineData(0, "8100:0000 9100:0014")] // priority tag over a pre-standard Q-in-Q tag
    [InlineData(0, "8100:0000 8100:0000")] // two priority tags
    [InlineData(0, "88a8:001e 8100:0014")] // service tag over a customer tag
    [InlineData(0, "9100:001e 8100:0014")] // pre-standard outer tag over a customer tag
    [InlineData(0, "88a8:001e")]           // a service tag alone
    [InlineData(3, "8100:0014 8100:001e")] // Q-in-Q on a trunk without transit
    [InlineData(3, "8100:0000 8100:0014")] // priority tag over VLAN 20 into the trunk's native VLAN
    [InlineData(3, "88a8:001e 8100:0014")] // service tag into the trunk's native VLAN
    public void DropsATagStackLeftAfterThePortsOwnTagAsDoubleTagged(ushort port, string tags) =>
        AssertDropped("double_tagged", port, Stack(tags));

    [Fact]
    public void AVlanTagOverAnotherTagOnAnAccessPortIsTaggedOnAccess() =>
        AssertDropped("tagged_on_access", 0, Stack("8100:0014 8100:001e"));

    [Fact]
    public void APriorityTagStrippedByTheBackendOverASecondTagIsDoubleTagged()
    {
        Packet packet = _pool.On(0, Stack("8100:0014"));
        packet.Meta.VlanTci = 0xA000; // the backend took the outer priority tag
        packet.Meta.Flags |= PacketFlags.VlanStripped;
        _harness.Process([packet]);
        Assert.Empty(_harness.Output("classified"));
        Assert.Equal(1, _harness.Stats.DroppedFor("double_tagged"));
    }

    [Fact]
    public void APriorityTagOnATrunkJoinsTheNativeVlan()
    {
        Packet packet = Classify(3, Stack("8100:2000"));
        Assert.Equal(0x2000 | 99, packet.Meta.VlanTci);
        Assert.Equal(TestEtherType, TpidAt12(packet));
    }

    [Fact]
    public void ATrunkWithQinqTransitCarriesStackedTagsWithTheInnerTagIntact()
    {
        using var harness = new StageHarness(new VlanClassifier(new VlanClassifierOptions
        {
            Ports = [SwitchPortOptions.Trunk("uplink", [20, 30], native: 99) with { QinqTransit = true }],
        }));
        harness.Process([_pool.On(0, Stack("8100:0014 8100:0064")), _pool.On(0, Stack("88a8:001e 8100:0014"))]);
        IReadOnlyList<Packet> output = harness.Output("classified");
        Assert.Equal(2, output.Count);
        Assert.Equal(20, output[0].Meta.VlanTci);
        Assert.Equal((0x8100, 100), (TpidAt12(output[0]), TciAt14(output[0])));
        Assert.Equal(99, output[1].Meta.VlanTci);
        Assert.Equal((0x88A8, 30), (TpidAt12(output[1]), TciAt14(output[1])));
        Assert.True(harness.Stats.IsBalanced);
    }

    [Fact]
    public void QinqTransitOnAnAccessPortIsRefused()
    {
        var e = Assert.Throws<SwitchConfigurationException>(() => new VlanClassifier(new VlanClassifierOptions
        {
            Ports = [SwitchPortOptions.Access("host_a", 10) with { QinqTransit = true }],
        }));
        Assert.Contains("port 0 ('host_a'): QinqTransit applies to trunk ports", e.Message);
    }

    [Theory]
    [InlineData(1514, false)] // untagged maximum for MTU 1500
    [InlineData(1518, true)]  // tagged maximum
    public void MaximumSizedFramesPass(int length, bool tagged)
    {
        Packet packet = Classify(3, Frame(Host(2), Host(1), tci: tagged ? (ushort)10 : null, length: length));
        Assert.Equal(1514, packet.Length);
    }

    [Fact]
    public void ShortestFrameAnEthernetHeaderPasses()
    {
        Assert.Equal(14, Classify(0, Frame(Host(2), Host(1), length: 14)).Length);
    }

    [Fact]
    public void DropsFramesFromAnUnknownInputPort() => AssertDropped("unknown_port", 7, Frame(Host(2), Host(1)));

    [Fact]
    public void DropsRuntFrames() => AssertDropped("runt", 0, Frame(Host(2), Host(1), length: 13));

    [Theory]
    [InlineData(1515, false)]
    [InlineData(1519, true)]
    public void DropsOversizeFrames(int length, bool tagged) =>
        AssertDropped("oversize", 3, Frame(Host(2), Host(1), tci: tagged ? (ushort)10 : null, length: length));

    [Fact]
    public void DropsATruncatedTagAsBadTag() => AssertDropped("bad_tag", 3, Frame(Host(2), Host(1), tci: 10, length: 16));

    [Fact]
    public void DropsTheReservedVlan4095AsBadTag() => AssertDropped("bad_tag", 3, Frame(Host(2), Host(1), tci: 0x0FFF));

    [Fact]
    public void DropsFramesWithAGroupSourceAddress() => AssertDropped("group_source", 0, Frame(Host(2), Multicast));

    [Fact]
    public void DropsTaggedFramesOnAnAccessPort() => AssertDropped("tagged_on_access", 0, Frame(Host(2), Host(1), tci: 10));

    [Fact]
    public void DropsUntaggedFramesOnATrunkWithoutNativeVlan()
    {
        using var harness = new StageHarness(new VlanClassifier(new VlanClassifierOptions
        {
            Ports = [SwitchPortOptions.Trunk("uplink", [10])],
        }));
        harness.Process([_pool.On(0, Frame(Host(2), Host(1)))]);
        Assert.Equal(1, harness.Stats.DroppedFor("untagged_on_trunk"));
        Assert.True(harness.Stats.IsBalanced);
    }

    [Fact]
    public void DropsTagsOfVlansTheTrunkDoesNotCarry() => AssertDropped("vlan_not_allowed", 3, Frame(Host(2), Host(1), tci: 40));

    [Fact]
    public void ATrunkWithoutAnAllowedListCarriesEveryVlan()
    {
        using var harness = new StageHarness(new VlanClassifier(new VlanClassifierOptions
        {
            Ports = [SwitchPortOptions.Trunk("uplink", [])],
        }));
        harness.Process([_pool.On(0, Frame(Host(2), Host(1), tci: 1)), _pool.On(0, Frame(Host(2), Host(1), tci: 4094))]);
        Assert.Equal(2, harness.Output("classified").Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Burst.Max - 1)]
    [InlineData(Burst.Max)]
    [InlineData(Burst.Max + 1)]
    public void EveryFrameOfABatchIsClassifiedInOrder(int count)
    {
        var batch = new Packet[count];
        for (int i = 0; i < count; i++)
        {
            batch[i] = _pool.On((ushort)(i % 4), Frame(Host(2), Host(1), tci: i % 4 == 3 ? (ushort)30 : null));
        }
        _harness.Process(batch);
        Assert.Equal(batch, _harness.Output("classified"));
        Assert.Equal(count, _harness.Stats.In);
    }

    [Fact]
    public void CountsPerPortAndPerVlan()
    {
        _harness.Process([
            _pool.On(0, Frame(Host(2), Host(1))),
            _pool.On(1, Frame(Host(1), Host(2))),
            _pool.On(3, Frame(Host(1), Host(9), tci: 20)),
            _pool.On(3, Frame(Host(1), Host(9), tci: 40)),
        ]);
        IReadOnlyList<SwitchPortCounters> ports = Classifier.GetPortCounters();
        Assert.Equal(new SwitchPortCounters("host_a", 1, 0, 0, 0), ports[0]);
        Assert.Equal(new SwitchPortCounters("uplink", 1, 1, 0, 0), ports[3]);
        Assert.Equal([(ushort)10, (ushort)20], Classifier.GetVlanCounters().Select(v => v.Vlan));
        Assert.Equal(2, Classifier.GetVlanCounters()[0].Received);
    }

    [Fact]
    public void APortsModeChangesThroughTheControlPath()
    {
        Classifier.SetPort(SwitchPortOptions.Trunk("host_a", [10, 50]));
        Packet packet = Classify(0, Frame(Host(2), Host(1), tci: 50));
        Assert.Equal(50, packet.Meta.VlanTci);
    }

    [Fact]
    public void AModeChangeWithBadValuesNamesThemAndChangesNothing()
    {
        var e = Assert.Throws<SwitchConfigurationException>(() => Classifier.SetPort(SwitchPortOptions.Trunk("host_a", [10, 4095], native: 0)));
        Assert.Contains("port 'host_a': native VLAN 0 is out of range 1 to 4094", e.Message);
        Assert.Contains("port 'host_a': allowed VLAN 4095 is out of range 1 to 4094", e.Message);
        var unknown = Assert.Throws<SwitchConfigurationException>(() => Classifier.SetPort(SwitchPortOptions.Access("eth9", 10)));
        Assert.Contains("no switch port is named 'eth9'; the ports are host_a, host_b, host_c, uplink", unknown.Message);
        Assert.Equal(VlanPortMode.Access, Classifier.Ports.ModeOf(0));
    }

    [Fact]
    public void BadOptionsAreRefusedWithEveryProblemNamed()
    {
        var e = Assert.Throws<SwitchConfigurationException>(() => new VlanClassifier(new VlanClassifierOptions
        {
            Ports =
            [
                SwitchPortOptions.Access("Host A", 10),
                SwitchPortOptions.Access("b", 0),
                SwitchPortOptions.Access("b", 5, id: 1),
                new SwitchPortOptions { Name = "c", Vlan = 10, NativeVlan = 3 },
            ],
        }));
        Assert.Contains("port 0 ('Host A'): name 'Host A' is not valid", e.Message);
        Assert.Contains("port 1 ('b'): access VLAN 0 is out of range 1 to 4094", e.Message);
        Assert.Contains("port 2 ('b'): name 'b' is used by another port", e.Message);
        Assert.Contains("port 2 ('b'): id 1 is also the id of port 'b'", e.Message);
        Assert.Contains("port 3 ('c'): NativeVlan and AllowedVlans apply to trunk ports", e.Message);
        Assert.Contains("a switch needs at least one port",
            Assert.Throws<SwitchConfigurationException>(() => new VlanClassifier(new VlanClassifierOptions())).Message);
    }
    [Fact]
    public void BatchesGiveEveryFrameTheResultAndCountsItGetsAlone()
    {
        // Bursts are runs of like frames (the per-port shortcut's case) broken by every kind of
        // frame the full path handles: other ports, tags, priority tags, runts, group sources.
        var random = new Random(21);
        var frames = new List<(ushort Port, byte[] Bytes)>();
        (ushort Port, byte[] Bytes) frame = (0, Frame(Host(2), Host(1)));
        for (int i = 0; i < 3000; i++)
        {
            if (random.Next(10) >= 7)
            {
                ushort port = (ushort)random.Next(0, 5); // 4: no such port
                frame = random.Next(8) switch
                {
                    0 => (port, Frame(Host(2), Host(1), tci: (ushort)(random.Next(0, 2) == 0 ? 20 : 0xA000))),
                    7 => (port, Stack(random.Next(0, 2) == 0 ? "8100:0000 8100:0014" : "88a8:001e")),
                    1 => (port, Frame(Host(2), Host(1), length: 12)),
                    2 => (port, Frame(Host(2), Multicast)),
                    3 => (port, Frame(Host(2), Host(1), length: 1600)),
                    _ => (port, Frame(Host(random.Next(1, 9)), Host(random.Next(1, 9)), length: random.Next(60, 1515))),
                };
            }
            frames.Add(frame);
        }
        using var alone = new StageHarness(new VlanClassifier(new VlanClassifierOptions { Ports = FourPorts() }), "alone");
        using var batched = new StageHarness(new VlanClassifier(new VlanClassifierOptions { Ports = FourPorts() }), "batched");

        var expected = new List<string>();
        foreach ((ushort port, byte[] bytes) in frames)
        {
            alone.Process([_pool.On(port, bytes)]);
            expected.AddRange(Describe(alone.Take("classified")));
        }
        var actual = new List<string>();
        for (int start = 0; start < frames.Count;)
        {
            int n = Math.Min(random.Next(1, 65), frames.Count - start);
            batched.Process(frames.GetRange(start, n).Select(f => _pool.On(f.Port, f.Bytes)).ToArray());
            actual.AddRange(Describe(batched.Take("classified")));
            start += n;
        }

        Assert.Equal(expected, actual);
        Assert.Equal(alone.Stats.Drops, batched.Stats.Drops);
        var aloneClassifier = (VlanClassifier)alone.Stage;
        var batchedClassifier = (VlanClassifier)batched.Stage;
        Assert.Equal(aloneClassifier.GetPortCounters(), batchedClassifier.GetPortCounters());
        Assert.Equal(aloneClassifier.GetVlanCounters(), batchedClassifier.GetVlanCounters());
    }

    private IEnumerable<string> Describe(Packet[] packets)
    {
        string[] described = packets
            .Select(p => $"{p.Meta.InputPort} {p.Meta.VlanTci:x4} {p.Meta.Flags} {p.Length} {Convert.ToHexString(p.Data[..14])}")
            .ToArray();
        _pool.Pool.FreeBulk(packets);
        return described;
    }
}
