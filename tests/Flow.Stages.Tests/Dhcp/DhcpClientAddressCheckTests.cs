using Flow.Protocols.Ethernet;
using Flow.Stages.Dhcp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Dhcp.DhcpFrames;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Dhcp;

/// <summary>
/// dhcp_client with its default options checks a newly leased address before it uses it (RFC
/// 2131 4.4.1): ARP probes (RFC 5227 2.1.1) half a second apart, BOUND a half second after the
/// last with no claim, DHCPDECLINE and INIT ten seconds later when another host claims it.
/// Frames are read by scapy.
/// </summary>
public sealed class DhcpClientAddressCheckTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(64);
    private readonly ManualClock _clock = new();
    private readonly Ipv4RouteTable _routes = new(new Ipv4RouteTableOptions { MaxNextHops = 64, Fib = new Ipv4FibOptions { Tbl8Groups = 4, MaxRoutes = 64 } });
    private readonly InterfaceAddressBook _book = new();
    private readonly DhcpClient _client;
    private readonly StageHarness _harness;

    public DhcpClientAddressCheckTests()
    {
        _client = new DhcpClient(new DhcpClientOptions { Interface = "wan", Interfaces = DhcpClientTests.DhcpInterfaces() }, _clock, _routes, _book);
        _harness = new StageHarness(_client, "dhcp_client");
    }

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _routes.Dispose();
        _pool.Dispose();
    }

    private void Advance(double seconds)
    {
        _clock.Advance(TimeSpan.FromSeconds(seconds));
        _harness.Tick(_clock.NowNanoseconds);
    }

    private byte[] TakeOne() => DhcpFrames.TakeOne(_harness);

    /// <summary>INIT → DISCOVER → OFFER → REQUEST → ACK of 192.0.2.50 from 192.0.2.2.</summary>
    private void Acked()
    {
        _harness.Tick(_clock.NowNanoseconds);
        uint xid = uint.Parse(Read(TakeOne())["xid"]);
        _harness.Process([_pool.Classified(Wan, FromServer(WanMac, xid, "offer", "192.0.2.50", DhcpClientTests.LeaseOptions))]);
        uint requestXid = uint.Parse(Read(TakeOne())["xid"]);
        _harness.Process([_pool.Classified(Wan, FromServer(WanMac, requestXid, "ack", "192.0.2.50", DhcpClientTests.LeaseOptions))]);
    }

    private static string Probe(byte[] frame) =>
        Dissect(frame, "p.dst, p.src, p[ARP].op, p[ARP].hwsrc, p[ARP].psrc, p[ARP].hwdst, p[ARP].pdst");

    private static string ExpectedProbe => $"ff:ff:ff:ff:ff:ff {WanMac} 1 {WanMac} 0.0.0.0 00:00:00:00:00:00 192.0.2.50";

    [Fact]
    public void AnAckedAddressIsProbedTwiceByArpAndUsedOnlyAfterNoHostClaimedIt()
    {
        Acked();
        Assert.Equal(DhcpClientState.Checking, _client.State);
        Assert.Equal(ExpectedProbe, Probe(TakeOne()));
        Assert.Null(_book.Get("wan"));
        Assert.False(_routes.TryGet(Ipv4Prefix.Parse("0.0.0.0/0"), out _));

        Advance(0.499);
        Assert.Empty(_harness.Output("link"));
        Advance(0.002);
        Assert.Equal(ExpectedProbe, Probe(TakeOne()));
        Advance(0.499);
        Assert.Equal(DhcpClientState.Checking, _client.State);
        Advance(0.002);

        Assert.Equal(DhcpClientState.Bound, _client.State);
        Assert.Equal("192.0.2.50/24", _book.Get("wan")!.Text);
        Assert.True(_routes.TryGet(Ipv4Prefix.Parse("0.0.0.0/0"), out _));
        Assert.Empty(_harness.Output("link"));
        Assert.False(_book.HasChecks);
        DhcpClientStatus status = _client.GetStatus();
        Assert.Equal((2L, 0L, 0L, 1L), (status.Probes, status.Conflicts, status.Declines, status.Bindings));
    }

    [Fact]
    public void AnAddressAnotherHostClaimsIsDeclinedAndTheClientStartsAgainTenSecondsLater()
    {
        Acked();
        TakeOne();
        Advance(0.2);
        // What arp reports when the holder answers the probe.
        _book.ReportClaim("wan", 0xC000_0232, new MacAddress(0x02, 0, 0, 0, 0x77, 0x77));
        Advance(0.01);

        Dictionary<string, string> decline = Read(TakeOne());
        Assert.Equal("4", decline["message-type"]);
        Assert.Equal("192.0.2.50", decline["requested_addr"]);
        Assert.Equal("192.0.2.2", decline["server_id"]);
        Assert.Equal("0.0.0.0", decline["ciaddr"]);
        Assert.Equal(("0.0.0.0", "255.255.255.255", "ff:ff:ff:ff:ff:ff"), (decline["ip_src"], decline["ip_dst"], decline["eth_dst"]));
        Assert.Equal("True", decline["checksums_ok"]);
        Assert.Equal(DhcpClientState.Init, _client.State);
        Assert.Null(_book.Get("wan"));
        Assert.False(_routes.TryGet(Ipv4Prefix.Parse("192.0.2.50/32"), out _));
        Assert.False(_book.HasChecks);

        Advance(9.9);
        Assert.Empty(_harness.Output("link"));
        Advance(0.2);
        Dictionary<string, string> discover = Read(TakeOne());
        Assert.Equal("1", discover["message-type"]);
        Assert.False(discover.ContainsKey("requested_addr"), "a declined address is not asked for again");
        DhcpClientStatus status = _client.GetStatus();
        Assert.Equal((1L, 1L, 0L), (status.Conflicts, status.Declines, status.Bindings));
    }

    [Fact]
    public void AStopDuringTheCheckEndsIt()
    {
        Acked();
        TakeOne();
        Assert.True(_book.HasChecks);
        _client.OnStop();
        Assert.False(_book.HasChecks);
        Assert.Null(_book.Get("wan"));
    }
}
