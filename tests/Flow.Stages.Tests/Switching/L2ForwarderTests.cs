using Flow.Stages.Switching;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Switching;

/// <summary>Ports: host_a (0) and host_b (1) access 10, host_c (2) access 20, uplink (3) trunk 10/20/30 native 99.</summary>
public sealed class L2ForwarderTests : IDisposable
{
    private static readonly string[] PortNames = ["host_a", "host_b", "host_c", "uplink"];

    private readonly LeakCheckingPool _pool = new(1024);
    private StageHarness _harness;

    public L2ForwarderTests()
    {
        _harness = new StageHarness(new L2Forwarder(new L2ForwarderOptions { Ports = FourPorts(), FloodPoolFrames = 64 }), "forward");
    }

    private L2Forwarder Forwarder => (L2Forwarder)_harness.Stage;

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    private Dictionary<string, int> Counts() => PortNames.ToDictionary(p => p, p => _harness.Output(p).Count);

    private void AssertDropped(string reason)
    {
        Assert.All(PortNames, p => Assert.Empty(_harness.Output(p)));
        Assert.Equal(1, _harness.Stats.DroppedFor(reason));
        Assert.Equal(1, _harness.Stats.DroppedTotal);
    }

    [Fact]
    public void OutputPortsAreNamedAfterTheSwitchPorts() =>
        Assert.Equal(PortNames, Forwarder.Descriptor.Ports.Select(p => p.Name));

    [Theory]
    [InlineData(0, 1, 10)]
    [InlineData(1, 0, 10)]
    [InlineData(3, 2, 20)]
    [InlineData(2, 3, 20)]
    public void KnownUnicastLeavesOnItsPortOnly(ushort from, ushort to, ushort vlan)
    {
        Packet packet = _pool.Classified(from, vlan, Host(2), Host(1), nextHop: to);
        _harness.Process([packet]);
        Assert.Equal(packet, Assert.Single(_harness.Output(PortNames[to])));
        Assert.Equal(1, Counts().Values.Sum());
        Assert.Equal(0, _harness.Stats.Emitted);
    }

    [Fact]
    public void UnicastToATrunkLeavesTaggedAndToAnAccessPortUntagged()
    {
        _harness.Process([_pool.Classified(0, 10, Host(2), Host(1), nextHop: 3), _pool.Classified(3, 10, Host(1), Host(2), nextHop: 0)]);
        Assert.True((_harness.Output("uplink")[0].Meta.Flags & PacketFlags.VlanStripped) != 0);
        Assert.True((_harness.Output("host_a")[0].Meta.Flags & PacketFlags.VlanStripped) == 0);
    }

    [Fact]
    public void TheNativeVlanLeavesATrunkUntagged()
    {
        _harness.Dispose();
        _harness = new StageHarness(new L2Forwarder(new L2ForwarderOptions
        {
            Ports = [SwitchPortOptions.Access("host_a", 99), SwitchPortOptions.Trunk("uplink", [10], native: 99)],
        }));
        _harness.Process([_pool.Classified(0, 99, Host(2), Host(1), nextHop: 1)]);
        Assert.True((_harness.Output("uplink")[0].Meta.Flags & PacketFlags.VlanStripped) == 0);
    }

    [Theory]
    [InlineData(0, 10, new[] { "host_b", "uplink" })]
    [InlineData(1, 10, new[] { "host_a", "uplink" })]
    [InlineData(2, 20, new[] { "uplink" })]
    [InlineData(3, 10, new[] { "host_a", "host_b" })]
    [InlineData(3, 20, new[] { "host_c" })]
    public void UnknownUnicastFloodsExactlyOncePerOtherPortOfTheVlan(ushort from, ushort vlan, string[] expected)
    {
        _harness.Process([_pool.Classified(from, vlan, Host(2), Host(1), length: 100)]);
        Dictionary<string, int> counts = Counts();
        foreach (string port in PortNames)
        {
            Assert.Equal(expected.Contains(port) ? 1 : 0, counts[port]);
        }
        Assert.Equal(expected.Length - 1, _harness.Stats.Emitted);
        foreach (string port in expected)
        {
            Packet copy = _harness.Output(port)[0];
            Assert.Equal(100, copy.Length);
            Assert.Equal(Host(2), new Flow.Protocols.Ethernet.MacAddress(copy.Data));
            Assert.Equal(vlan, copy.Meta.VlanTci & 0xFFF);
            Assert.Equal(port == "uplink", (copy.Meta.Flags & PacketFlags.VlanStripped) != 0);
        }
    }

    [Fact]
    public void BroadcastAndMulticastFloodLikeUnknownUnicast()
    {
        _harness.Process([
            _pool.Classified(0, 10, Flow.Protocols.Ethernet.MacAddress.Broadcast, Host(1)),
            _pool.Classified(0, 10, Multicast, Host(1)),
        ]);
        Assert.Equal(new Dictionary<string, int> { ["host_a"] = 0, ["host_b"] = 2, ["host_c"] = 0, ["uplink"] = 2 }, Counts());
    }

    [Fact]
    public void AFloodCopyIsIndependentOfTheOriginal()
    {
        _harness.Process([_pool.Classified(0, 10, Host(2), Host(1))]);
        Packet a = _harness.Output("host_b")[0];
        Packet b = _harness.Output("uplink")[0];
        Assert.NotEqual(a, b);
        a.Data[20] = 0xEE;
        Assert.NotEqual(0xEE, b.Data[20]);
    }

    [Fact]
    public void DropsFramesFromAnUnknownInputPort()
    {
        _harness.Process([_pool.Classified(9, 10, Host(2), Host(1))]);
        AssertDropped("unknown_port");
    }

    [Fact]
    public void DropsFramesWithoutAVlan()
    {
        _harness.Process([_pool.On(0, Frame(Host(2), Host(1)))]);
        AssertDropped("unclassified");
    }

    [Fact]
    public void DropsFramesForTheirOwnPort()
    {
        _harness.Process([_pool.Classified(1, 10, Host(2), Host(1), nextHop: 1)]);
        AssertDropped("same_port");
    }

    [Fact]
    public void DropsUnicastToAPortOutsideTheVlan()
    {
        _harness.Process([_pool.Classified(0, 10, Host(2), Host(1), nextHop: 2)]);
        AssertDropped("vlan_not_allowed");
    }

    [Fact]
    public void DropsAFloodWithNoOtherPortInTheVlan()
    {
        _harness.Process([_pool.Classified(3, 30, Host(2), Host(1))]);
        AssertDropped("no_flood_ports");
    }

    [Fact]
    public void CountsACopyThatFoundNoFrameAndDeliversTheRest()
    {
        _harness.Dispose();
        _harness = new StageHarness(new L2Forwarder(new L2ForwarderOptions { Ports = FourPorts(), FloodPoolFrames = 1 }), "forward");
        _harness.Process([_pool.Classified(3, 10, Host(2), Host(1)), _pool.Classified(3, 10, Host(2), Host(1))]);
        // First flood: copy to host_a, original to host_b. Second: pool empty, original to host_b only.
        Assert.Equal(1, _harness.Stats.DroppedFor("flood_copy_failed"));
        Assert.Single(_harness.Output("host_a"));
        Assert.Equal(2, _harness.Output("host_b").Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(Burst.Max - 1)]
    [InlineData(Burst.Max)]
    [InlineData(Burst.Max + 1)]
    [InlineData(300)]
    public void BatchesOfFloodsConserveEveryPacket(int count)
    {
        _harness.Dispose();
        _harness = new StageHarness(new L2Forwarder(new L2ForwarderOptions { Ports = FourPorts(), FloodPoolFrames = 1024 }), "forward");
        var batch = new Packet[count];
        for (int i = 0; i < count; i++)
        {
            batch[i] = _pool.Classified(3, 10, Host(2), Host(1), length: 60);
        }
        _harness.Process(batch);
        Assert.Equal(count, _harness.Output("host_a").Count);
        Assert.Equal(count, _harness.Output("host_b").Count);
        Assert.Equal(count, _harness.Stats.Emitted);
    }

    [Fact]
    public void CountsPerPortAndPerVlan()
    {
        _harness.Process([
            _pool.Classified(0, 10, Host(2), Host(1), nextHop: 1),
            _pool.Classified(0, 10, Host(3), Host(1)),
            _pool.Classified(2, 20, Host(3), Host(1), nextHop: 2),
        ]);
        IReadOnlyList<SwitchPortCounters> ports = Forwarder.GetPortCounters();
        Assert.Equal(new SwitchPortCounters("host_b", 0, 0, 1, 1), ports[1]);
        Assert.Equal(new SwitchPortCounters("host_c", 0, 1, 0, 0), ports[2]);
        Assert.Equal(new SwitchPortCounters("uplink", 0, 0, 0, 1), ports[3]);
        IReadOnlyList<SwitchVlanCounters> vlans = Forwarder.GetVlanCounters();
        Assert.Equal(new SwitchVlanCounters(10, 0, 1, 1, 1, 0), vlans[0]);
        Assert.Equal(new SwitchVlanCounters(20, 0, 0, 0, 0, 1), vlans[1]);
    }

    [Fact]
    public void AModeChangeTakesEffectOnTheNextBatch()
    {
        Forwarder.SetPort(SwitchPortOptions.Access("host_c", 10));
        _harness.Process([_pool.Classified(0, 10, Host(2), Host(1))]);
        Assert.Equal(new Dictionary<string, int> { ["host_a"] = 0, ["host_b"] = 1, ["host_c"] = 1, ["uplink"] = 1 }, Counts());
    }

    [Fact]
    public void MoreThan255PortsAreRefused()
    {
        var ports = Enumerable.Range(0, 256).Select(i => SwitchPortOptions.Access($"p{i}", 10)).ToArray();
        var e = Assert.Throws<SwitchConfigurationException>(() => new L2Forwarder(new L2ForwarderOptions { Ports = ports }));
        Assert.Contains("at most 255 ports; 256 are configured", e.Message);
    }
    [Fact]
    public void BatchesSendEveryFrameWhereItGoesAloneWithTheSameCounts()
    {
        // Runs of one (ingress, destination, VLAN) — the reuse shortcut's case — broken by
        // floods, unknown ports, same-port and disallowed-VLAN frames and trunk egress.
        var random = new Random(34);
        uint[] destinations = [0, 1, 2, 3, 7, MacLearner.Flood];
        ushort[] vlans = [10, 20, 30, 99, 5];
        var frames = new List<(ushort From, ushort Vlan, uint To)>();
        (ushort From, ushort Vlan, uint To) frame = (0, 10, 1);
        for (int i = 0; i < 3000; i++)
        {
            if (random.Next(10) >= 7)
            {
                frame = ((ushort)random.Next(0, 5), vlans[random.Next(vlans.Length)], destinations[random.Next(destinations.Length)]);
            }
            frames.Add(frame);
        }
        using var alone = new StageHarness(new L2Forwarder(new L2ForwarderOptions { Ports = FourPorts(), FloodPoolFrames = 512 }), "alone");
        using var batched = new StageHarness(new L2Forwarder(new L2ForwarderOptions { Ports = FourPorts(), FloodPoolFrames = 512 }), "batched");

        var expected = PortNames.ToDictionary(p => p, _ => new List<string>());
        foreach ((ushort from, ushort vlan, uint to) in frames)
        {
            alone.Process([_pool.Classified(from, vlan, Host(2), Host(1), nextHop: to)]);
            Collect(alone, expected);
        }
        var actual = PortNames.ToDictionary(p => p, _ => new List<string>());
        for (int start = 0; start < frames.Count;)
        {
            int n = Math.Min(random.Next(1, 65), frames.Count - start);
            batched.Process(frames.GetRange(start, n).Select(f => _pool.Classified(f.From, f.Vlan, Host(2), Host(1), nextHop: f.To)).ToArray());
            Collect(batched, actual);
            start += n;
        }

        // Flood copies leave as they are made, originals after the batch: compare what each port got, not its order.
        Assert.All(PortNames, port => Assert.Equal(expected[port].Order(), actual[port].Order()));
        Assert.Equal(alone.Stats.Drops, batched.Stats.Drops);
        var aloneForwarder = (L2Forwarder)alone.Stage;
        var batchedForwarder = (L2Forwarder)batched.Stage;
        Assert.Equal(aloneForwarder.GetPortCounters(), batchedForwarder.GetPortCounters());
        Assert.Equal(aloneForwarder.GetVlanCounters(), batchedForwarder.GetVlanCounters());
    }

    private static void Collect(StageHarness harness, Dictionary<string, List<string>> into)
    {
        foreach (string port in PortNames)
        {
            Packet[] packets = harness.Take(port);
            into[port].AddRange(packets.Select(p => $"{p.Meta.InputPort} {p.Meta.VlanTci:x4} {p.Meta.Flags}"));
            PacketPools.Free(packets);
        }
    }
}
