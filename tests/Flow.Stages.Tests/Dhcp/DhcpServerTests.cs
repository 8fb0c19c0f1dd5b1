using Flow.Stages.Dhcp;
using Flow.Stages.Ipv4;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Dhcp.DhcpFrames;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Dhcp;

/// <summary>
/// dhcp_server on lan (10.0.0.1/24) with the range 10.0.0.100-10.0.0.102: each message type of
/// RFC 2131 4.3, the address choice order, the options, the delivery rules of 4.1, one reply per
/// request, expiry and the lease file — requests built and replies read by scapy.
/// </summary>
public sealed class DhcpServerTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(64);
    private readonly ManualClock _clock = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("flow-dhcp-").FullName;
    private readonly List<StageHarness> _harnesses = [];
    private DhcpServer _server = null!;
    private StageHarness _harness = null!;

    public DhcpServerTests() => Start(Options());

    private DhcpServerOptions Options(string range = "10.0.0.100-10.0.0.102", string? leaseFile = null) => new()
    {
        Interface = "lan",
        Interfaces = Interfaces(),
        Range = range,
        LeaseTime = TimeSpan.FromHours(1),
        Dns = ["10.0.0.53", "10.0.0.54"],
        LeaseFile = leaseFile,
        OfferTime = TimeSpan.FromSeconds(30),
        DeclineTime = TimeSpan.FromMinutes(10),
    };

    private void Start(DhcpServerOptions options)
    {
        _server = new DhcpServer(options, _clock);
        _harness = new StageHarness(_server, "dhcp_server");
        _harnesses.Add(_harness);
    }

    public void Dispose()
    {
        foreach (StageHarness harness in _harnesses)
        {
            Assert.True(harness.Stats.IsBalanced, harness.Stats.ToString());
            harness.Dispose();
        }
        _pool.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Sends one request; returns scapy's reading of the one reply on <paramref name="port"/>, asserting nothing else left.</summary>
    private Dictionary<string, string> Exchange(byte[] request, string port = "link", ushort input = Lan)
    {
        _harness.Process([_pool.Classified(input, request)]);
        Packet[] replies = _harness.Take(port);
        Packet reply = Assert.Single(replies);
        Dictionary<string, string> read = Read(reply.Data);
        PacketPools.Free(replies);
        foreach (string other in new[] { "link", "relay", "other" }.Where(p => p != port))
        {
            Assert.Empty(_harness.Output(other));
        }
        return read;
    }

    /// <summary>Sends one request that must get no reply; returns the stage's drop count for <paramref name="reason"/> after.</summary>
    private long Silent(byte[] request, string reason)
    {
        long before = Drops(reason);
        _harness.Process([_pool.Classified(Lan, request)]);
        Assert.Empty(_harness.Output("link"));
        Assert.Empty(_harness.Output("relay"));
        Assert.Empty(_harness.Output("other"));
        Assert.Equal(before + 1, Drops(reason));
        return Drops(reason);
    }

    /// <summary>Sends one request the server acts on without answering (DECLINE, RELEASE): consumed, nothing sent.</summary>
    private void Consumed(byte[] request)
    {
        long before = _harness.Stats.Consumed;
        _harness.Process([_pool.Classified(Lan, request)]);
        Assert.Empty(_harness.Output("link"));
        Assert.Empty(_harness.Output("relay"));
        Assert.Empty(_harness.Output("other"));
        Assert.Equal(before + 1, _harness.Stats.Consumed);
    }

    private long Drops(string reason) => _harness.Stats.Drops.Single(d => d.Reason == reason).Packets;

    private DhcpLeaseEntry Lease(string address) => _server.GetLeases(all: true).Single(l => l.Address == address);

    /// <summary>DISCOVER then REQUEST (SELECTING) for client <paramref name="client"/>; returns the address it got.</summary>
    private string Bind(int client, string options = "")
    {
        Dictionary<string, string> offer = Exchange(FromClient(client, 100, "discover", options));
        string address = offer["yiaddr"];
        Dictionary<string, string> ack = Exchange(FromClient(client, 101, "request", $"('requested_addr','{address}'), ('server_id','10.0.0.1')"));
        Assert.Equal("5", ack["message-type"]);
        return address;
    }

    [Fact]
    public void ADiscoverGetsOneOfferOfTheFirstFreeAddressWithEveryOption()
    {
        Dictionary<string, string> offer = Exchange(FromClient(1, 7, "discover", "('hostname', b'pc1')"));

        Assert.Equal("2", offer["message-type"]);
        Assert.Equal("2", offer["op"]);
        Assert.Equal("7", offer["xid"]);
        Assert.Equal("10.0.0.100", offer["yiaddr"]);
        Assert.Equal("10.0.0.1", offer["server_id"]);
        Assert.Equal("3600", offer["lease_time"]);
        Assert.Equal("1800", offer["renewal_time"]);
        Assert.Equal("3150", offer["rebinding_time"]);
        Assert.Equal("255.255.255.0", offer["subnet_mask"]);
        Assert.Equal("10.0.0.1", offer["router"]);
        Assert.Equal("10.0.0.53,10.0.0.54", offer["name_server"]);
        Assert.Equal("10.0.0.255", offer["broadcast_address"]);
        Assert.Equal("True", offer["checksums_ok"]);
        // Padded to the BOOTP minimum (RFC 1542 2.1).
        Assert.True(int.Parse(offer["length"]) >= 300, offer["length"]);
        Assert.Equal(DhcpLeaseState.Offered, Lease("10.0.0.100").State);
        Assert.Equal("pc1", Lease("10.0.0.100").HostName);
    }

    [Fact]
    public void WithoutTheBroadcastFlagTheOfferGoesToYiaddrAtChaddrAndWithItToEveryone()
    {
        Dictionary<string, string> unicast = Exchange(FromClient(1, 1, "discover"));
        Assert.Equal(ClientMac(1), unicast["eth_dst"]);
        Assert.Equal(LanMac, unicast["eth_src"]);
        Assert.Equal("10.0.0.100", unicast["ip_dst"]);
        Assert.Equal("10.0.0.1", unicast["ip_src"]);
        Assert.Equal("67", unicast["sport"]);
        Assert.Equal("68", unicast["dport"]);

        Dictionary<string, string> broadcast = Exchange(FromClient(2, 2, "discover", broadcast: true));
        Assert.Equal("ff:ff:ff:ff:ff:ff", broadcast["eth_dst"]);
        Assert.Equal("255.255.255.255", broadcast["ip_dst"]);
        Assert.Equal("32768", broadcast["flags"]);
        Assert.Equal("10.0.0.101", broadcast["yiaddr"]);
    }

    [Fact]
    public void ARequestForTheOfferedAddressIsAckedAndBindsTheLease()
    {
        string address = Bind(1);

        DhcpLeaseEntry lease = Lease(address);
        Assert.Equal(DhcpLeaseState.Bound, lease.State);
        Assert.Equal(ClientMac(1), lease.Mac);
        Assert.Equal(3600, lease.SecondsLeft);
        DhcpServerCounters counters = _server.GetCounters();
        Assert.Equal((1, 1, 1, 1, 0), (counters.Discovers, counters.Requests, counters.Offers, counters.Acks, counters.Naks));
    }

    [Fact]
    public void AClientGetsItsCurrentBindingAgainAndTwoClientsGetDifferentAddresses()
    {
        string first = Bind(1);
        string second = Bind(2);
        Assert.NotEqual(first, second);
        Assert.Equal(first, Exchange(FromClient(1, 5, "discover"))["yiaddr"]);
    }

    [Fact]
    public void TheRequestedAddressIsOfferedWhenFree()
    {
        Assert.Equal("10.0.0.102", Exchange(FromClient(1, 1, "discover", "('requested_addr','10.0.0.102')"))["yiaddr"]);
        // Taken now (offered to client 1): client 2 asking for it gets another.
        Assert.Equal("10.0.0.100", Exchange(FromClient(2, 1, "discover", "('requested_addr','10.0.0.102')"))["yiaddr"]);
        // Outside the range: ignored.
        Assert.Equal("10.0.0.101", Exchange(FromClient(3, 1, "discover", "('requested_addr','10.0.0.7')"))["yiaddr"]);
    }

    [Fact]
    public void AReleasedAddressGoesBackToItsPreviousClientFirst()
    {
        string address = Bind(1);
        Consumed(FromClient(1, 9, "release", "('server_id','10.0.0.1')", src: address, dst: "10.0.0.1", ciaddr: address, ethernetDestination: LanMac));
        Assert.Equal(DhcpLeaseState.Free, Lease(address).State);

        // Another client takes a never-used address, not the released one; the old client gets its own back.
        Assert.NotEqual(address, Exchange(FromClient(2, 1, "discover"))["yiaddr"]);
        Assert.Equal(address, Exchange(FromClient(1, 2, "discover"))["yiaddr"]);
    }

    [Fact]
    public void ARequestNamingAnotherServerGetsNoReplyAndFreesTheOffer()
    {
        string offered = Exchange(FromClient(1, 1, "discover"))["yiaddr"];
        Silent(FromClient(1, 2, "request", $"('requested_addr','{offered}'), ('server_id','10.0.0.254')"), "other_server");
        Assert.Equal(DhcpLeaseState.Free, Lease(offered).State);
    }

    [Fact]
    public void ASelectingRequestForAnAddressNotOfferedIsNaked()
    {
        Exchange(FromClient(1, 1, "discover"));
        Dictionary<string, string> nak = Exchange(FromClient(1, 2, "request", "('requested_addr','10.0.0.102'), ('server_id','10.0.0.1')"));
        Assert.Equal("6", nak["message-type"]);
        Assert.Equal("0.0.0.0", nak["yiaddr"]);
        Assert.False(nak.ContainsKey("lease_time"));
        Assert.Equal("10.0.0.1", nak["server_id"]);
    }

    [Fact]
    public void InitRebootOffTheNetworkGetsOneBroadcastNak()
    {
        Dictionary<string, string> nak = Exchange(FromClient(1, 3, "request", "('requested_addr','172.16.0.9')"));
        Assert.Equal("6", nak["message-type"]);
        Assert.Equal("ff:ff:ff:ff:ff:ff", nak["eth_dst"]);
        Assert.Equal("255.255.255.255", nak["ip_dst"]);
        Assert.Equal(1, _server.GetCounters().Naks);
    }

    [Fact]
    public void InitRebootOfAnUnknownClientGetsNoReplyAndOfItsOwnBindingAnAck()
    {
        Silent(FromClient(1, 3, "request", "('requested_addr','10.0.0.101')"), "no_binding");

        string address = Bind(2);
        Dictionary<string, string> ack = Exchange(FromClient(2, 4, "request", $"('requested_addr','{address}')"));
        Assert.Equal("5", ack["message-type"]);
        Assert.Equal(address, ack["yiaddr"]);

        // Another client claiming that address is told no.
        Assert.Equal("6", Exchange(FromClient(3, 5, "request", $"('requested_addr','{address}')"))["message-type"]);
    }

    [Fact]
    public void RenewingIsAckedUnicastToCiaddrWithAFreshLease()
    {
        string address = Bind(1);
        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(1800, Lease(address).SecondsLeft);

        Dictionary<string, string> ack = Exchange(FromClient(1, 8, "request", src: address, dst: "10.0.0.1", ciaddr: address, ethernetDestination: LanMac));
        Assert.Equal("5", ack["message-type"]);
        Assert.Equal(address, ack["ciaddr"]);
        Assert.Equal(address, ack["ip_dst"]);
        Assert.Equal(ClientMac(1), ack["eth_dst"]);
        Assert.Equal(3600, Lease(address).SecondsLeft);
    }

    [Fact]
    public void RebindingForAnotherClientsAddressIsNaked()
    {
        string address = Bind(1);
        Dictionary<string, string> nak = Exchange(FromClient(2, 8, "request", src: address, ciaddr: address));
        Assert.Equal("6", nak["message-type"]);
        Assert.Equal(DhcpLeaseState.Bound, Lease(address).State);
    }

    [Fact]
    public void ADeclinedAddressIsNotOfferedUntilTheDeclineTimeEnds()
    {
        string address = Bind(1);
        Consumed(FromClient(1, 2, "decline", $"('requested_addr','{address}'), ('server_id','10.0.0.1')"));
        Assert.Equal(DhcpLeaseState.Declined, Lease(address).State);
        Assert.NotEqual(address, Exchange(FromClient(1, 3, "discover"))["yiaddr"]);

        _clock.Advance(TimeSpan.FromMinutes(10));
        _harness.Tick(_clock.NowNanoseconds);
        Assert.Equal(DhcpLeaseState.Free, Lease(address).State);
    }

    [Fact]
    public void AnInformIsAckedWithOptionsButNoAddressOrLease()
    {
        Dictionary<string, string> ack = Exchange(FromClient(1, 4, "inform", src: "10.0.0.9", dst: "10.0.0.1", ciaddr: "10.0.0.9", ethernetDestination: LanMac));
        Assert.Equal("5", ack["message-type"]);
        Assert.Equal("0.0.0.0", ack["yiaddr"]);
        Assert.Equal("10.0.0.9", ack["ip_dst"]);
        Assert.Equal("255.255.255.0", ack["subnet_mask"]);
        Assert.False(ack.ContainsKey("lease_time"));
        Assert.False(ack.ContainsKey("renewal_time"));
        Assert.Empty(_server.GetLeases());
    }

    [Fact]
    public void AnExhaustedRangeAnswersNothingAndCountsIt()
    {
        Bind(1);
        Bind(2);
        Bind(3);
        Silent(FromClient(4, 1, "discover"), "pool_exhausted");
    }

    [Fact]
    public void ARelayedRequestIsAnsweredToTheRelayOnPort67ForRouting()
    {
        Dictionary<string, string> offer = Exchange(FromClient(1, 1, "discover", src: "10.0.0.2", dst: "10.0.0.1", giaddr: "10.0.0.2", ethernetDestination: LanMac), "relay");
        Assert.Equal("10.0.0.2", offer["ip_dst"]);
        Assert.Equal("67", offer["dport"]);
        Assert.Equal("10.0.0.2", offer["giaddr"]);
    }

    [Fact]
    public void ARequestRelayedFromAnotherSubnetIsNotGivenAnAddressOfTheServedNetwork()
    {
        Silent(FromClient(1, 1, "discover", src: "10.9.0.1", dst: "10.0.0.1", giaddr: "10.9.0.1", ethernetDestination: LanMac), "other_subnet");
        Assert.DoesNotContain(_server.GetLeases(), l => l.State == DhcpLeaseState.Offered);
    }

    [Fact]
    public void AnUnrenewedLeaseExpiresAndIsRememberedAsThePreviousBinding()
    {
        string address = Bind(1);
        _clock.Advance(TimeSpan.FromHours(1));
        _harness.Tick(_clock.NowNanoseconds);
        DhcpLeaseEntry lease = Lease(address);
        Assert.Equal(DhcpLeaseState.Free, lease.State);
        Assert.Equal(ClientMac(1), lease.Mac);
        Assert.Equal(1, _server.GetCounters().Expired);
        Assert.Equal(address, Exchange(FromClient(1, 2, "discover"))["yiaddr"]);
    }

    [Fact]
    public void AnOfferNotTakenUpEndsAfterTheOfferTime()
    {
        string offered = Exchange(FromClient(1, 1, "discover"))["yiaddr"];
        _clock.Advance(TimeSpan.FromSeconds(30));
        _harness.Tick(_clock.NowNanoseconds);
        Assert.Equal(DhcpLeaseState.Free, Lease(offered).State);
    }

    [Fact]
    public void LeasesInTheLeaseFileSurviveARestart()
    {
        string file = Path.Combine(_directory, "leases.json");
        Start(Options(leaseFile: file));
        string address = Bind(1, "('hostname', b'pc1')");
        _harness.Tick(_clock.NowNanoseconds);
        _server.OnStop();
        Assert.Contains(address, File.ReadAllText(file), StringComparison.Ordinal);

        Start(Options(leaseFile: file));
        DhcpLeaseEntry lease = Lease(address);
        Assert.Equal(DhcpLeaseState.Bound, lease.State);
        Assert.Equal("pc1", lease.HostName);
        Assert.InRange(lease.SecondsLeft, 3590, 3600);
        Assert.Equal(address, Exchange(FromClient(1, 2, "discover"))["yiaddr"]);
        Assert.NotEqual(address, Exchange(FromClient(2, 2, "discover"))["yiaddr"]);
    }

    [Fact]
    public void AMalformedLeaseFileIsRefusedNamingIt()
    {
        string file = Path.Combine(_directory, "bad.json");
        File.WriteAllText(file, "{ not json");
        var e = Assert.Throws<RouterConfigurationException>(() => new DhcpServer(Options(leaseFile: file), _clock));
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADisabledServerAnswersNothing()
    {
        Start(Options() with { Enabled = false });
        Silent(FromClient(1, 1, "discover"), "disabled");
    }

    [Fact]
    public void DatagramsForPort68AndRequestsFromOtherInterfacesLeaveByOther()
    {
        _harness.Process([_pool.Classified(Wan, FromServer(WanMac, 1, "offer", "192.0.2.50", "('server_id','192.0.2.2')"))]);
        _harness.Process([_pool.Classified(Wan, FromClient(1, 1, "discover"))]);
        Packet[] other = _harness.Take("other");
        Assert.Equal(2, other.Length);
        PacketPools.Free(other);
        Assert.Equal(0, _server.GetCounters().Discovers);
    }

    [Fact]
    public void NonDhcpOnPort67AndBootRepliesAreDroppedByReason()
    {
        Silent(ScapyOne("Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='0.0.0.0', dst='255.255.255.255')/UDP(sport=68, dport=67)/Raw(b'x' * 300)"), "malformed");
        Silent(ScapyOne("Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='0.0.0.0', dst='255.255.255.255')/UDP(sport=68, dport=67)/BOOTP(op=2)/DHCP(options=[('message-type','offer'), 'end'])"), "not_request");
        Silent(ScapyOne("Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='0.0.0.0', dst='255.255.255.255')/UDP(sport=68, dport=67)/BOOTP(chaddr=b'abcdef')/DHCP(options=['end'])"), "no_message_type");
        Silent(ScapyOne("Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='0.0.0.0', dst='255.255.255.255')/UDP(sport=68, dport=67)/BOOTP(chaddr=b'abcdef', htype=6)/DHCP(options=[('message-type','discover'), 'end'])"), "bad_hardware");
        Silent(FromClient(1, 1, "offer"), "bad_message_type");
    }

    [Fact]
    public void WithoutConfiguredDnsTheServersTheWanClientLearnedAreHandedOut()
    {
        var book = new InterfaceAddressBook();
        _server = new DhcpServer(Options() with { Dns = [], ProbeTime = TimeSpan.Zero }, _clock, book);
        _harness = new StageHarness(_server, "learning");
        _harnesses.Add(_harness);
        Assert.False(Exchange(FromClient(1, 1, "discover")).ContainsKey("name_server"));

        book.Set("wan", new InterfaceAddressBook.LearnedAddress(0xC000_0232, 24, [0xC000_0235, 0x0808_0808]));
        _harness.Tick(_clock.NowNanoseconds);
        Assert.Equal("192.0.2.53,8.8.8.8", Exchange(FromClient(2, 1, "discover"))["name_server"]);
        Assert.Equal(["192.0.2.53", "8.8.8.8"], _server.DnsServers);
    }

    [Fact]
    public void TheServerDeclaresTheDhcpVerbs()
    {
        IControlledStage stage = _server;
        Assert.Equal(["dhcp leases", "dhcp show"], stage.ControlCommands.Select(c => c.Name));
    }

    [Theory]
    [InlineData("10.0.0.100-10.0.1.5", "inside lan's network")]
    [InlineData("10.0.0.200-10.0.0.100", "ascending")]
    [InlineData("10.0.0.100", "two IPv4 addresses")]
    public void ABadRangeIsRefusedNamingIt(string range, string expected)
    {
        var e = Assert.Throws<RouterConfigurationException>(() => new DhcpServer(Options(range), _clock));
        Assert.Contains(range, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
