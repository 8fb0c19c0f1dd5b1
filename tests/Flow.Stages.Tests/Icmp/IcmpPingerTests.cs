using Flow.Stages.Icmp;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Icmp;

/// <summary>ping: requests as scapy reads them, from the address the route leaves by; replies and errors matched to their probe; the rest counted.</summary>
public sealed class IcmpPingerTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(64);
    private readonly ManualClock _clock = new();
    private readonly Ipv4RouteTable _routes = new(new Ipv4RouteTableOptions { MaxNextHops = 64, Fib = new Ipv4FibOptions { Tbl8Groups = 4, MaxRoutes = 64 } });
    private readonly IcmpPinger _pinger;
    private readonly StageHarness _harness;

    public IcmpPingerTests()
    {
        _routes.Add(Ipv4Prefix.Parse("10.0.0.0/24"), Ipv4Route.Connected(Lan));
        _routes.Add(Ipv4Prefix.Parse("10.0.0.1/32"), Ipv4Route.Local(Lan));
        _routes.Add(Ipv4Prefix.Parse("192.0.2.0/24"), Ipv4Route.Connected(Wan));
        _routes.Add(Ipv4Prefix.Parse("198.51.100.0/24"), Ipv4Route.Via(new Flow.Protocols.Ipv4.Ipv4Address(192, 0, 2, 254), Wan));
        _routes.Add(Ipv4Prefix.Parse("198.18.0.0/16"), Ipv4Route.Reject);
        _pinger = new IcmpPinger(new IcmpPingerOptions { Interfaces = Interfaces() }, _routes, _clock);
        _harness = new StageHarness(_pinger, "ping");
    }

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pinger.Dispose();
        _routes.Dispose();
        _pool.Dispose();
    }

    private byte[] TakeRequest()
    {
        Packet[] sent = _harness.Take("request");
        byte[] frame = Assert.Single(sent).Data.ToArray();
        Assert.Equal(14, sent[0].Meta.L3Offset);
        PacketPools.Free(sent);
        return frame;
    }

    [Theory]
    [InlineData("10.0.0.10", "10.0.0.1", 56)]       // connected on lan: from the lan address
    [InlineData("198.51.100.7", "192.0.2.1", 1472)] // via a gateway on wan: from the wan address
    [InlineData("10.0.0.1", "10.0.0.1", 0)]         // an own address: from itself
    public void ARequestLeavesFromTheAddressOfItsRoutesInterface(string destination, string source, int size)
    {
        PingProbe probe = _pinger.SendProbe(Ip(destination), size);
        byte[] frame = TakeRequest();
        Assert.Equal(Ip(source), probe.Source);
        // scapy's reading, both checksums compared with what scapy computes itself.
        string read = Python($"p=Ether(bytes.fromhex('{Convert.ToHexString(frame)}'))\n" +
            "q=IP(bytes(p[IP])); ipc=q.chksum; icc=q[ICMP].chksum; del q.chksum; del q[ICMP].chksum; r=IP(bytes(q))\n" +
            "print(q.src, q.dst, q.ttl, q[ICMP].type, q[ICMP].code, q[ICMP].id, q[ICMP].seq, len(bytes(q[ICMP].payload)), ipc == r.chksum, icc == r[ICMP].chksum)\n").Trim();
        Assert.Equal($"{source} {destination} 64 8 0 {_pinger.Identifier} {probe.Sequence} {size} True True", read);
    }

    [Fact]
    public void NoRouteAndRejectRoutesAreRefusedNamingTheAddress()
    {
        Assert.Contains("no route to 203.0.113.9", Assert.Throws<ControlCommandException>(() => _pinger.SendProbe(Ip("203.0.113.9"), 56)).Message);
        Assert.Contains("198.18.1.1 is in a reject route", Assert.Throws<ControlCommandException>(() => _pinger.SendProbe(Ip("198.18.1.1"), 56)).Message);
        Assert.Empty(_harness.Output("request"));
    }

    [Fact]
    public void TheEchoReplyIsMatchedToItsProbeWithTimeTtlAndLength()
    {
        PingProbe probe = _pinger.SendProbe(Ip("10.0.0.10"), 32);
        TakeRequest();
        _clock.Advance(TimeSpan.FromMilliseconds(3));
        _harness.Process([_pool.Classified(Lan, ScapyOne(
            $"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1', ttl=61)/ICMP(type=0, id={_pinger.Identifier}, seq={probe.Sequence})/Raw(bytes(32))"))]);

        PingProbe answered = _pinger.GetProbe(probe.Sequence)!.Value;
        Assert.True(answered.IsAnswered);
        Assert.Equal((Ip("10.0.0.10"), (byte)0, (byte)61, 32, 3_000_000L),
            (answered.From, answered.AnswerType, answered.TimeToLive, answered.DataLength, answered.AnsweredAt - answered.SentAt));
        Assert.Equal(1, _harness.Stats.Consumed);
    }

    [Fact]
    public void AnErrorQuotingTheRequestIsMatchedToItsProbe()
    {
        PingProbe probe = _pinger.SendProbe(Ip("198.51.100.7"), 56);
        byte[] request = TakeRequest();
        string quoted = Convert.ToHexString(request.AsSpan(14, 28));
        _harness.Process([_pool.Classified(Wan, ScapyOne(
            $"Ether(src=H, dst=W)/IP(src='192.0.2.254', dst='192.0.2.1')/ICMP(type=3, code=1)/Raw(bytes.fromhex('{quoted}'))"))]);

        PingProbe answered = _pinger.GetProbe(probe.Sequence)!.Value;
        Assert.Equal((Ip("192.0.2.254"), (byte)3, (byte)1), (answered.From, answered.AnswerType, answered.AnswerCode));
    }

    [Fact]
    public void RepliesOfNoWaitingProbeAndOtherMessagesAreDroppedWithTheirReasons()
    {
        PingProbe probe = _pinger.SendProbe(Ip("10.0.0.10"), 8);
        TakeRequest();
        ushort other = (ushort)(_pinger.Identifier ^ 0x5555);
        _harness.Process(
        [
            _pool.Classified(Lan, ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(type=0, id={_pinger.Identifier}, seq={probe.Sequence + 1})")),
            _pool.Classified(Lan, ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(type=0, id={other}, seq={probe.Sequence})")),
            _pool.Classified(Lan, ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(type=11)/IP(src='10.0.0.1', dst='8.8.8.8')/UDP()")),
            _pool.Classified(Lan, ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(type=13)")),
        ]);
        Assert.Equal(1, _harness.Stats.DroppedFor("unmatched"));
        Assert.Equal(3, _harness.Stats.DroppedFor("not_acted_on"));
        Assert.False(_pinger.GetProbe(probe.Sequence)!.Value.IsAnswered);

        // A second answer to an answered probe is not counted twice.
        _harness.Process([_pool.Classified(Lan, ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(type=0, id={_pinger.Identifier}, seq={probe.Sequence})"))]);
        _harness.Process([_pool.Classified(Lan, ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(type=0, id={_pinger.Identifier}, seq={probe.Sequence})"))]);
        Assert.Equal(2, _harness.Stats.DroppedFor("unmatched"));
    }

    private static uint Ip(string text) => new Flow.Protocols.Ipv4.Ipv4Address(System.Net.IPAddress.Parse(text).GetAddressBytes()).Value.Host;
}
