using Flow.Stages.Icmp;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Icmp;

/// <summary>icmp_echo: replies for every router address and any size, read back by scapy; one test per port and drop reason.</summary>
public sealed class IcmpEchoResponderTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(256);
    private readonly StageHarness _harness = new(new IcmpEchoResponder(new IcmpEchoResponderOptions { Interfaces = Interfaces() }), "icmp_echo");

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    private byte[] Reply(byte[] request, ushort port = Lan)
    {
        _harness.Process([_pool.Classified(port, request)]);
        Assert.True(_harness.Stats.DroppedTotal == 0, _harness.Stats.ToString());
        Packet[] replies = _harness.Take("reply");
        byte[] reply = Assert.Single(replies).Data.ToArray();
        PacketPools.Free(replies);
        return reply;
    }

    private void AssertDropped(string reason, byte[] frame)
    {
        _harness.Process([_pool.Classified(Lan, frame)]);
        Assert.Empty(_harness.Output("reply"));
        Assert.Empty(_harness.Output("other"));
        Assert.True(_harness.Stats.DroppedFor(reason) == 1, _harness.Stats.ToString());
    }

    /// <summary>scapy's reading of a reply: MACs, addresses, TTL, type, id, seq, payload length, both checksums as scapy recomputes them.</summary>
    private static string Scapy(byte[] reply) =>
        Python($"p=Ether(bytes.fromhex('{Convert.ToHexString(reply)}'))\n" +
            "i=p[IP]; c=p[ICMP]\n" +
            "q=IP(bytes(i)); ipc=q.chksum; icc=q[ICMP].chksum; del q.chksum; del q[ICMP].chksum; r=IP(bytes(q))\n" +
            "print(p.dst, p.src, i.src, i.dst, i.ttl, c.type, c.code, c.id, c.seq, len(bytes(c.payload)), ipc == r.chksum, icc == r[ICMP].chksum)\n").Trim();

    [Theory]
    [InlineData("10.0.0.1", Lan)]
    [InlineData("192.0.2.1", Lan)]     // another interface's address, reached from the LAN (weak host)
    [InlineData("203.0.113.1", Wan)]
    public void EveryRouterAddressAnswersFromThatAddress(string address, ushort port)
    {
        string mac = port == Lan ? LanMac : WanMac;
        byte[] reply = Reply(ScapyOne($"Ether(src=H, dst='{mac}')/IP(src='10.0.0.10', dst='{address}', ttl=3)/ICMP(id=0x1234, seq=7)/Raw(b'ping')"), port);
        Assert.Equal($"{HostMac} {mac} {address} 10.0.0.10 64 0 0 4660 7 4 True True", Scapy(reply));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(18)]
    [InlineData(1472)]   // a 1500-byte packet, ping -s 1472
    [InlineData(1473)]   // odd length: the checksum's trailing byte
    public void AnySizeUpToTheMtuComesBackWithTheSameData(int size)
    {
        byte[] request = ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(id=1, seq=2)/Raw(bytes(i % 251 for i in range({size})))");
        byte[] reply = Reply(request);
        Assert.Equal(request.Length, reply.Length);
        Assert.Equal(request.AsSpan(42).ToArray(), reply.AsSpan(42).ToArray());
        Assert.Equal($"{HostMac} {LanMac} 10.0.0.1 10.0.0.10 64 0 0 1 2 {size} True True", Scapy(reply));
    }

    [Fact]
    public void OptionsOfTheRequestAreKept()
    {
        byte[] request = ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1', options=[IPOption_Router_Alert()])/ICMP()");
        byte[] reply = Reply(request);
        Assert.Equal(request.AsSpan(34, 4).ToArray(), reply.AsSpan(34, 4).ToArray());
        Assert.EndsWith("True True", Scapy(reply), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ICMP(type=0)")]
    [InlineData("ICMP(type=13)")]
    [InlineData("UDP(dport=67)")]
    [InlineData("TCP(dport=22)")]
    [InlineData("GRE()")]
    public void LocalPacketsThatAreNotEchoRequestsLeaveOnOther(string layer)
    {
        byte[] frame = ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/{layer}");
        _harness.Process([_pool.Classified(Lan, frame)]);
        Assert.Equal(frame, Assert.Single(_harness.Output("other")).Data.ToArray());
    }

    [Theory]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.255")]
    public void EchoToABroadcastAddressIsIgnored(string destination) =>
        AssertDropped("broadcast_echo", ScapyOne($"Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='10.0.0.10', dst='{destination}')/ICMP()"));

    [Fact]
    public void BadIcmpChecksumIsDropped() =>
        AssertDropped("bad_checksum", ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(chksum=0x1234)"));

    [Fact]
    public void FragmentedEchoIsDropped() =>
        AssertDropped("fragment", ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1', flags='MF')/ICMP()/Raw(b'x'*32)"));

    [Fact]
    public void IcmpShorterThanItsHeaderIsTruncated() =>
        AssertDropped("truncated", ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1', proto=1)/Raw(b'\\x08\\0\\0\\0')"));

    [Fact]
    public void NoValidHeaderAtL3IsMalformed() =>
        AssertDropped("malformed", ScapyOne("Ether(src=H, dst=L, type=0x800)/Raw(b'\\x65' + b'\\0'*30)"));
}
