using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Ipv4;

/// <summary>ipv4_local: one test per port and per drop reason.</summary>
public sealed class Ipv4LocalDemuxTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(64);
    private readonly StageHarness _harness = new(new Ipv4LocalDemux(new Ipv4LocalDemuxOptions { UdpPorts = [67, 5353] }), "ipv4_local");

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    private Packet Deliver(string port, string layers)
    {
        byte[] frame = ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/{layers}");
        _harness.Process([_pool.Classified(Lan, frame)]);
        Packet packet = Assert.Single(_harness.Output(port));
        Assert.Equal(frame, packet.Data.ToArray());
        return packet;
    }

    private void AssertDropped(string reason, string frame)
    {
        _harness.Process([_pool.Classified(Lan, ScapyOne(frame))]);
        Assert.Equal(1, _harness.Stats.DroppedFor(reason));
        Assert.Equal(1, _harness.Stats.DroppedTotal);
    }

    [Theory]
    [InlineData("ICMP(type=0)")]
    [InlineData("ICMP(type=3, code=3)/IPerror()/UDPerror()")]
    public void IcmpForTheRouterLeavesOnIcmp(string layers) => Deliver("icmp", layers);

    [Theory]
    [InlineData(67)]
    [InlineData(5353)]
    public void UdpToAServedPortLeavesOnUdp(int port) => Deliver("udp", $"UDP(sport=68, dport={port})");

    [Fact]
    public void UdpToAnyOtherPortAsksForPortUnreachable() =>
        Assert.Equal(IcmpErrorRequest.PortUnreachable, Deliver("unreachable", "UDP(dport=68)").Meta.UserWord);

    [Fact]
    public void TcpIsRefusedWithPortUnreachable() =>
        Assert.Equal(IcmpErrorRequest.PortUnreachable, Deliver("unreachable", "TCP(dport=67, flags='S')").Meta.UserWord);

    [Fact]
    public void WithTheTcpOptionTcpLeavesOnTcpAndEveryUdpPortOnUdp()
    {
        using var host = new StageHarness(new Ipv4LocalDemux(new Ipv4LocalDemuxOptions { Tcp = true, AllUdp = true }), "ipv4_local");
        byte[] tcp = ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/TCP(dport=80, flags='S')");
        byte[] udp = ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/UDP(dport=4242)");
        host.Process([_pool.Classified(Lan, tcp), _pool.Classified(Lan, udp)]);
        Packet segment = Assert.Single(host.Take("tcp"));
        Packet datagram = Assert.Single(host.Take("udp"));
        Assert.Equal(tcp, segment.Data.ToArray());
        Assert.Equal(udp, datagram.Data.ToArray());
        PacketPools.Free([segment, datagram]);
    }

    [Theory]
    [InlineData("GRE()")]
    [InlineData("Raw(b'x'*8)")]   // protocol 0
    public void OtherProtocolsAskForProtocolUnreachable(string layers) =>
        Assert.Equal(IcmpErrorRequest.ProtocolUnreachable, Deliver("unreachable", layers).Meta.UserWord);

    [Fact]
    public void FragmentsAreDropped() =>
        AssertDropped("fragment", "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1', flags='MF')/UDP(dport=67)");

    [Fact]
    public void UdpTooShortForItsPortsIsTruncated() =>
        AssertDropped("truncated", "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1', proto=17)/Raw(b'\\0\\x43')");

    [Fact]
    public void NoValidHeaderAtL3IsMalformed() =>
        AssertDropped("malformed", "Ether(src=H, dst=L, type=0x800)/Raw(b'\\x65' + b'\\0'*30)");
}
