using Flow.Stages.Ethernet;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Ethernet;

/// <summary>eth_classify on the two-interface router of <see cref="Ipv4.RouterFrames"/>: one test per port and per drop reason.</summary>
public sealed class EtherClassifierTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(256);
    private readonly StageHarness _harness = new(new EtherClassifier(new EtherClassifierOptions { Interfaces = Interfaces() }), "classify");

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    private Packet Classify(string port, ushort inputPort, byte[] frame)
    {
        _harness.Process([_pool.On(inputPort, frame)]);
        Assert.Equal(0, _harness.Stats.DroppedTotal);
        return Assert.Single(_harness.Output(port));
    }

    private void AssertDropped(string reason, ushort inputPort, byte[] frame)
    {
        _harness.Process([_pool.On(inputPort, frame)]);
        Assert.Empty(_harness.Output("ipv4"));
        Assert.Empty(_harness.Output("arp"));
        Assert.Equal(1, _harness.Stats.DroppedFor(reason));
        Assert.Equal(1, _harness.Stats.DroppedTotal);
    }

    [Fact]
    public void Ipv4ToTheReceivingInterfacesMacLeavesOnIpv4WithOffsets()
    {
        Packet packet = Classify("ipv4", Lan, ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10')/ICMP()"));
        Assert.Equal((0, 14), (packet.Meta.L2Offset, packet.Meta.L3Offset));
        Assert.Equal(PacketFlags.L2Valid | PacketFlags.L3Valid, packet.Meta.Flags & (PacketFlags.L2Valid | PacketFlags.L3Valid));
    }

    [Fact]
    public void BroadcastArpLeavesOnArp()
    {
        Packet packet = Classify("arp", Lan, ScapyOne("Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/ARP(psrc='10.0.0.10', pdst='10.0.0.1')"));
        Assert.Equal(14, packet.Meta.L3Offset);
    }

    [Fact]
    public void ArpReplyToOwnMacLeavesOnArp() =>
        Classify("arp", Wan, ScapyOne("Ether(src='02:00:00:00:09:09', dst=W)/ARP(op=2, psrc='192.0.2.2', pdst='192.0.2.1')"));

    [Fact]
    public void MulticastIpv4LeavesOnIpv4ForIpv4InputToJudge() =>
        Classify("ipv4", Lan, ScapyOne("Ether(src=H, dst='01:00:5e:00:00:05')/IP(src='10.0.0.10', dst='224.0.0.5')/UDP()"));

    [Fact]
    public void UnicastToAnotherHostsMacIsDroppedAsOtherHost() =>
        AssertDropped("other_host", Lan, ScapyOne("Ether(src=H, dst='02:00:00:00:00:99')/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP()"));

    [Fact]
    public void TheOtherInterfacesMacIsAnotherHostOnThisPort() =>
        AssertDropped("other_host", Lan, ScapyOne("Ether(src=H, dst=W)/IP(src='10.0.0.10', dst='192.0.2.1')/ICMP()"));

    [Fact]
    public void FrameShorterThanAnEthernetHeaderIsARunt() => AssertDropped("runt", Lan, new byte[13]);

    [Fact]
    public void FrameFromAPortWithoutInterfaceIsDropped() =>
        AssertDropped("unknown_port", 7, ScapyOne("Ether(src=H, dst=L)/IP()"));

    [Fact]
    public void GroupSourceMacIsDropped() =>
        AssertDropped("group_source", Lan, ScapyOne("Ether(src='01:00:5e:00:00:01', dst=L)/IP()"));

    [Theory]
    [InlineData("Ether(src=H, dst=L)/Dot1Q(vlan=10)/IP()")]
    [InlineData("Ether(src=H, dst=L)/Dot1Q(vlan=0)/IP()")]
    [InlineData("Ether(src=H, dst=L)/Dot1AD(vlan=10)/Dot1Q(vlan=20)/IP()")]
    [InlineData("Ether(src=H, dst='ff:ff:ff:ff:ff:ff', type=0x9100)/Dot1Q(vlan=10)/ARP()")]
    public void TaggedFramesAreDropped(string frame) => AssertDropped("vlan_tagged", Lan, ScapyOne(frame));

    [Fact]
    public void FrameWhoseVlanABackendStrippedIsDropped()
    {
        Packet packet = _pool.On(Lan, ScapyOne("Ether(src=H, dst=L)/IP()"));
        packet.Meta.Flags |= PacketFlags.VlanStripped;
        packet.Meta.VlanTci = 0x2000 | 10;
        _harness.Process([packet]);
        Assert.Equal(1, _harness.Stats.DroppedFor("vlan_tagged"));
    }

    [Fact]
    public void PriorityTagABackendStrippedCountsAsUntagged()
    {
        Packet packet = _pool.On(Lan, ScapyOne("Ether(src=H, dst=L)/IP()"));
        packet.Meta.Flags |= PacketFlags.VlanStripped;
        packet.Meta.VlanTci = 0xA000;
        _harness.Process([packet]);
        Assert.Single(_harness.Output("ipv4"));
    }

    [Theory]
    [InlineData("Ether(src=H, dst=L)/IPv6()")]
    [InlineData("Ether(src=H, dst='ff:ff:ff:ff:ff:ff', type=0x88b5)")]
    [InlineData("Dot3(src=H, dst=L)/LLC()")]
    public void OtherEthertypesAreDropped(string frame) => AssertDropped("other_ethertype", Lan, ScapyOne(frame));

    [Fact]
    public void AMixedBatchIsSortedPerFrame()
    {
        byte[][] frames = Scapy(
            "[Ether(src=H, dst=L)/IP(dst='198.51.100.1'), Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/ARP()," +
            " Ether(src=H, dst='02:00:00:00:00:99')/IP(), Ether(src=H, dst=L)/IPv6(), Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(dst='10.0.0.255')]");
        _harness.Process([.. frames.Select(f => _pool.On(Lan, f))]);
        StageStats stats = _harness.Stats;
        Assert.Equal((2L, 1L), (stats.OutOn("ipv4"), stats.OutOn("arp")));
        Assert.Equal((1L, 1L), (stats.DroppedFor("other_host"), stats.DroppedFor("other_ethertype")));
    }
}
