using Flow.Stages.Dhcp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Dhcp.DhcpFrames;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Dhcp;

/// <summary>
/// dhcp_client on wan (address "dhcp"), driven by hand with a manual clock: the state machine of
/// RFC 2131 4.4 (INIT → SELECTING → REQUESTING → BOUND → RENEWING → REBINDING → INIT), the
/// retransmission back-off, and what a lease installs and removes (address book, routes).
/// </summary>
public sealed class DhcpClientTests : IDisposable
{
    private static readonly long s_second = 1_000_000_000;

    private readonly LeakCheckingPool _pool = new(64);
    private readonly ManualClock _clock = new();
    private readonly Ipv4RouteTable _routes = new(new Ipv4RouteTableOptions { MaxNextHops = 64, Fib = new Ipv4FibOptions { Tbl8Groups = 4, MaxRoutes = 64 } });
    private readonly InterfaceAddressBook _book = new();
    private readonly DhcpClient _client;
    private readonly StageHarness _harness;

    public DhcpClientTests()
    {
        // The address check before BOUND has its own tests (DhcpClientAddressCheckTests): off here,
        // so that an ACK binds at once and the lease timers run from it.
        _client = new DhcpClient(new DhcpClientOptions { Interface = "wan", Interfaces = DhcpInterfaces(), HostName = "flow", AddressCheckProbes = 0 }, _clock, _routes, _book);
        _harness = new StageHarness(_client, "dhcp_client");
    }

    internal static IReadOnlyList<RouterInterfaceOptions> DhcpInterfaces() =>
    [
        new() { Name = "lan", Mac = LanMac, Addresses = ["10.0.0.1/24"] },
        new() { Name = "wan", Mac = WanMac, Addresses = [RouterInterfaceOptions.DhcpAddress] },
    ];

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _routes.Dispose();
        _pool.Dispose();
    }

    private void Tick() => _harness.Tick(_clock.NowNanoseconds);

    private void Advance(double seconds)
    {
        _clock.Advance(TimeSpan.FromSeconds(seconds));
        Tick();
    }

    /// <summary>The one message the client sent on <paramref name="port"/>, as scapy reads it.</summary>
    private Dictionary<string, string> Sent(string port = "link")
    {
        Packet[] sent = _harness.Take(port);
        Packet packet = Assert.Single(sent);
        Assert.Empty(_harness.Output(port == "link" ? "routed" : "link"));
        Dictionary<string, string> read = Read(packet.Data);
        PacketPools.Free(sent);
        return read;
    }

    private void Nothing()
    {
        Assert.Empty(_harness.Output("link"));
        Assert.Empty(_harness.Output("routed"));
    }

    private void Receive(byte[] frame) => _harness.Process([_pool.Classified(Wan, frame)]);

    internal const string LeaseOptions = "('server_id','192.0.2.2'), ('lease_time',120), ('renewal_time',10), ('rebinding_time',15), " +
        "('subnet_mask','255.255.255.0'), ('router','192.0.2.1'), ('name_server','192.0.2.53','192.0.2.54')";

    /// <summary>INIT → BOUND with 192.0.2.50/24 from 192.0.2.2 (T1 10 s, T2 15 s, lease 120 s); returns the xid of the request.</summary>
    private uint Bind()
    {
        Tick();
        Dictionary<string, string> discover = Sent();
        uint xid = uint.Parse(discover["xid"]);
        Receive(FromServer(WanMac, xid, "offer", "192.0.2.50", LeaseOptions));
        Dictionary<string, string> request = Sent();
        uint requestXid = uint.Parse(request["xid"]);
        Receive(FromServer(WanMac, requestXid, "ack", "192.0.2.50", LeaseOptions));
        Assert.Equal(DhcpClientState.Bound, _client.State);
        return requestXid;
    }

    private bool HasRoute(string prefix, Ipv4Route route) => _routes.TryGet(Ipv4Prefix.Parse(prefix), out Ipv4Route found) && found.Equals(route);

    [Fact]
    public void TheFirstTickBroadcastsADiscoverAskingForBroadcastReplies()
    {
        Tick();
        Dictionary<string, string> discover = Sent();
        Assert.Equal("1", discover["message-type"]);
        Assert.Equal("ff:ff:ff:ff:ff:ff", discover["eth_dst"]);
        Assert.Equal(WanMac, discover["eth_src"]);
        Assert.Equal("0.0.0.0", discover["ip_src"]);
        Assert.Equal("255.255.255.255", discover["ip_dst"]);
        Assert.Equal(("68", "67"), (discover["sport"], discover["dport"]));
        Assert.Equal("32768", discover["flags"]);
        Assert.Equal("True", discover["checksums_ok"]);
        Assert.Equal(Convert.ToHexString("flow"u8).ToLowerInvariant(), discover["hostname"]);
        Assert.Equal("01" + WanMac.Replace(":", "", StringComparison.Ordinal), discover["client_id"]);
        Assert.Equal(DhcpClientState.Selecting, _client.State);
    }

    [Fact]
    public void DiscoversAreRetransmittedAfter4816326464SecondsGiveOrTakeOne()
    {
        Tick();
        string xid = Sent()["xid"];
        long last = _clock.NowNanoseconds;
        foreach (int backoff in new[] { 4, 8, 16, 32, 64, 64 })
        {
            // Nothing before backoff − 1 s; something by backoff + 1 s.
            Advance(backoff - 1 - 0.001 - (_clock.NowNanoseconds - last) / (double)s_second);
            Nothing();
            long sentBy = 0;
            for (int ms = 0; ms <= 2002 && sentBy == 0; ms += 1)
            {
                _clock.Advance(TimeSpan.FromMilliseconds(1));
                Tick();
                if (_harness.Output("link").Count > 0)
                {
                    sentBy = _clock.NowNanoseconds;
                }
            }
            Assert.True(sentBy != 0, $"no DISCOVER within {backoff} ± 1 s");
            Assert.InRange((sentBy - last) / (double)s_second, backoff - 1, backoff + 1.001);
            Dictionary<string, string> again = Sent();
            Assert.Equal("1", again["message-type"]);
            Assert.Equal(xid, again["xid"]);
            last = sentBy;
        }
    }

    [Fact]
    public void AnOfferIsRequestedAndTheAckInstallsAddressConnectedLocalAndDefaultRoutes()
    {
        Tick();
        uint xid = uint.Parse(Sent()["xid"]);
        Receive(FromServer(WanMac, xid, "offer", "192.0.2.50", LeaseOptions));
        Dictionary<string, string> request = Sent();
        Assert.Equal("3", request["message-type"]);
        Assert.Equal("192.0.2.50", request["requested_addr"]);
        Assert.Equal("192.0.2.2", request["server_id"]);
        Assert.Equal("0.0.0.0", request["ciaddr"]);
        Assert.Equal("255.255.255.255", request["ip_dst"]);
        Assert.Equal(DhcpClientState.Requesting, _client.State);

        Receive(FromServer(WanMac, uint.Parse(request["xid"]), "ack", "192.0.2.50", LeaseOptions));
        Assert.Equal(DhcpClientState.Bound, _client.State);
        InterfaceAddressBook.LearnedAddress learned = _book.Get("wan")!;
        Assert.Equal("192.0.2.50/24", learned.Text);
        Assert.Equal([Ip("192.0.2.53"), Ip("192.0.2.54")], _book.DnsServers);
        Assert.True(HasRoute("192.0.2.0/24", Ipv4Route.Connected(Wan)));
        Assert.True(HasRoute("192.0.2.50/32", Ipv4Route.Local(Wan)));
        Assert.True(HasRoute("0.0.0.0/0", Ipv4Route.Via(new Flow.Protocols.Ipv4.Ipv4Address(192, 0, 2, 1), Wan)));
        DhcpClientStatus status = _client.GetStatus();
        Assert.Equal(("192.0.2.50/24", "192.0.2.2", "192.0.2.1", 120L, 10L, 15L, 120L),
            (status.Address, status.Server, status.Router, status.LeaseSeconds, status.RenewInSeconds, status.RebindInSeconds, status.ExpiresInSeconds));
    }

    [Fact]
    public void RepliesOfAnotherExchangeOrClientAndASecondOfferAreDropped()
    {
        Tick();
        uint xid = uint.Parse(Sent()["xid"]);
        Receive(FromServer(WanMac, xid + 1, "offer", "192.0.2.50", LeaseOptions));
        Receive(FromServer("02:00:00:00:00:42", xid, "offer", "192.0.2.50", LeaseOptions));
        Nothing();
        Receive(FromServer(WanMac, xid, "offer", "192.0.2.50", LeaseOptions));
        Sent();
        Receive(FromServer(WanMac, xid, "offer", "192.0.2.51", LeaseOptions));
        Nothing();
        Assert.Equal(2, _harness.Stats.Drops.Single(d => d.Reason == "not_for_us").Packets);
        Assert.Equal(1, _harness.Stats.Drops.Single(d => d.Reason == "unexpected").Packets);
    }

    [Fact]
    public void AnUnansweredRequestIsTriedFourTimesThenTheClientStartsAgain()
    {
        Tick();
        Receive(FromServer(WanMac, uint.Parse(Sent()["xid"]), "offer", "192.0.2.50", LeaseOptions));
        Sent();
        for (int i = 1; i < DhcpClient.RequestTries; i++)
        {
            Advance(70);
            Assert.Equal("3", Sent()["message-type"]);
        }
        Advance(70);
        Advance(0.001);
        Assert.Equal("1", Sent()["message-type"]);
        Assert.Equal(DhcpClientState.Selecting, _client.State);
    }

    [Fact]
    public void AtT1TheClientRenewsByUnicastToTheServerAndAnAckExtendsTheLease()
    {
        Bind();
        Advance(9.9);
        Nothing();
        Advance(0.2);
        Assert.Equal(DhcpClientState.Renewing, _client.State);
        Dictionary<string, string> renew = Sent("routed");
        Assert.Equal("3", renew["message-type"]);
        Assert.Equal("192.0.2.50", renew["ciaddr"]);
        Assert.Equal("192.0.2.50", renew["ip_src"]);
        Assert.Equal("192.0.2.2", renew["ip_dst"]);
        Assert.False(renew.ContainsKey("server_id"));
        Assert.False(renew.ContainsKey("requested_addr"));

        Receive(FromServer(WanMac, uint.Parse(renew["xid"]), "ack", "192.0.2.50", LeaseOptions, dst: "192.0.2.50"));
        Assert.Equal(DhcpClientState.Bound, _client.State);
        Assert.Equal(120, _client.GetStatus().ExpiresInSeconds);
        Assert.Equal(2, _client.GetStatus().Bindings);
    }

    [Fact]
    public void AtT2TheClientRebindsByBroadcastAndAtExpiryRemovesEverythingAndStartsAgain()
    {
        Bind();
        Advance(10.1);
        Sent("routed");
        Advance(5);
        Assert.Equal(DhcpClientState.Rebinding, _client.State);
        Dictionary<string, string> rebind = Sent();
        Assert.Equal("3", rebind["message-type"]);
        Assert.Equal("192.0.2.50", rebind["ciaddr"]);
        Assert.Equal("255.255.255.255", rebind["ip_dst"]);
        Assert.Equal("ff:ff:ff:ff:ff:ff", rebind["eth_dst"]);

        // RFC 2131 4.4.5: half the time left, at least 60 s, between retransmissions.
        Advance(59);
        Nothing();
        Advance(1.1);
        Assert.Equal("3", Sent()["message-type"]);

        Advance(119.9 - 75.2);
        Assert.NotNull(_book.Get("wan"));
        Advance(0.2);
        Assert.Null(_book.Get("wan"));
        Assert.Empty(_routes.GetRoutes());
        Assert.Equal(1, _client.GetStatus().Expirations);
        Assert.Equal(DhcpClientState.Init, _client.State);
        Tick();
        Dictionary<string, string> discover = Sent();
        Assert.Equal("1", discover["message-type"]);
        // The expired lease's address is suggested again (RFC 2131 4.4.1).
        Assert.Equal("192.0.2.50", discover["requested_addr"]);
    }

    [Fact]
    public void ANakWhileRenewingRemovesTheLeaseAndTheClientStartsOver()
    {
        Bind();
        Advance(10.1);
        Dictionary<string, string> renew = Sent("routed");
        Receive(FromServer(WanMac, uint.Parse(renew["xid"]), "nak", "0.0.0.0", "('server_id','192.0.2.2')"));
        Assert.Equal(DhcpClientState.Init, _client.State);
        Assert.Null(_book.Get("wan"));
        Assert.False(_routes.TryGet(Ipv4Prefix.Parse("0.0.0.0/0"), out _));
        Advance(1);
        Dictionary<string, string> discover = Sent();
        Assert.Equal("1", discover["message-type"]);
        Assert.False(discover.ContainsKey("requested_addr"));
    }

    [Fact]
    public void AGracefulStopReleasesTheLeaseToTheServer()
    {
        Bind();
        _client.OnDraining();
        Dictionary<string, string> release = Sent("routed");
        Assert.Equal("7", release["message-type"]);
        Assert.Equal("192.0.2.50", release["ciaddr"]);
        Assert.Equal("192.0.2.2", release["server_id"]);
        Assert.Equal("192.0.2.2", release["ip_dst"]);
        Assert.Null(_book.Get("wan"));
        Assert.Empty(_routes.GetRoutes());
    }

    [Fact]
    public void OnAnInterfaceWithAStaticAddressTheClientIsOff()
    {
        using var client = new DhcpClient(new DhcpClientOptions { Interface = "wan", Interfaces = Interfaces() }, _clock, _routes, _book);
        using var harness = new StageHarness(client, "off");
        harness.Tick(_clock.NowNanoseconds);
        Assert.Empty(harness.Output("link"));
        Assert.Equal(DhcpClientState.Disabled, client.State);
        harness.Process([_pool.Classified(Wan, FromServer(WanMac, 1, "offer", "192.0.2.50", LeaseOptions))]);
        Assert.Equal(1, harness.Stats.Drops.Single(d => d.Reason == "disabled").Packets);
    }

    [Fact]
    public void TheRouterStagesTakeUpTheLearnedAddress()
    {
        var validator = new Ipv4Validator(new Ipv4ValidatorOptions { Interfaces = DhcpInterfaces() }, _book);
        Assert.False(validator.Interfaces.IsOwnAddress(Ip("192.0.2.50")));
        Bind();
        validator.Tick(_clock.NowNanoseconds);
        Assert.True(validator.Interfaces.IsOwnAddress(Ip("192.0.2.50")));
        Assert.Equal(Ip("192.0.2.50"), validator.Interfaces.PrimaryAddressOf(1));
        _client.OnDraining();
        Sent("routed");
        validator.Tick(_clock.NowNanoseconds);
        Assert.False(validator.Interfaces.IsOwnAddress(Ip("192.0.2.50")));
    }

    [Fact]
    public void ArpAnnouncesTheLeasedAddressWithAGratuitousArpOnTheWan()
    {
        using var table = new Flow.Stages.Arp.NeighbourTable(_routes) { ApplyRoutesInBackground = false };
        using var arp = new StageHarness(new Flow.Stages.Arp.ArpResponder(new Flow.Stages.Arp.ArpResponderOptions { Interfaces = DhcpInterfaces() }, table, _clock, _book), "arp");
        arp.Tick(_clock.NowNanoseconds);
        PacketPools.Free(arp.Take("lan"));
        Assert.Empty(arp.Output("wan"));

        Bind();
        arp.Tick(_clock.NowNanoseconds);
        Packet[] sent = arp.Take("wan");
        byte[] garp = Assert.Single(sent).Data.ToArray();
        PacketPools.Free(sent);
        // RFC 5227 2.3 announcement: a broadcast request with sender and target the new address.
        Assert.Equal("ff:ff:ff:ff:ff:ff 1 02:00:00:00:02:01 192.0.2.50 192.0.2.50",
            Dissect(garp, "p.dst, p[ARP].op, p[ARP].hwsrc, p[ARP].psrc, p[ARP].pdst").Replace("(", "").Replace(")", "").Replace("'", "").Replace(",", ""));
    }

    private static uint Ip(string text) => new Flow.Protocols.Ipv4.Ipv4Address(System.Net.IPAddress.Parse(text).GetAddressBytes()).Value.Host;
}
