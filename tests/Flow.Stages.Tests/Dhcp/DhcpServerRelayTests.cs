using System.ComponentModel.DataAnnotations;
using Flow.Stages.Dhcp;
using Flow.Stages.Ipv4;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Dhcp.DhcpFrames;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Dhcp;

/// <summary>
/// dhcp_server serving subnets behind DHCP relay agents (RFC 2131 4.3.1), requests built and
/// replies read by scapy:
/// <code>
///  clients ── relay 10.9.0.1 ──┐                  pools: lan 10.0.0.100-102       (router: lan's address)
///  clients ── relay 172.16.0.1 ┴─ lan 10.0.0.1/24        10.9.0.0/24 .100-.102    (router: the relay)
///  clients (the link itself) ───┘                        172.16.0.0/16 172.16.5.1-3 (router .0.254, 10 min, own DNS)
/// </code>
/// A relayed request is served from giaddr's pool, answered to the relay; one from a subnet no
/// pool has is dropped; each pool keeps its own leases, NAKs, counters and exhaustion.
/// </summary>
public sealed class DhcpServerRelayTests : IDisposable
{
    private const string Relay = "10.9.0.1";
    private const string OtherRelay = "172.16.0.1";

    private readonly LeakCheckingPool _pool = new(64);
    private readonly ManualClock _clock = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("flow-dhcp-relay-").FullName;
    private readonly List<StageHarness> _harnesses = [];
    private readonly List<DhcpServer> _servers = [];
    private DhcpServer _server = null!;
    private StageHarness _harness = null!;

    public DhcpServerRelayTests() => Start(Options());

    private static DhcpSubnetOptions[] Subnets() =>
    [
        new() { Network = "10.9.0.0/24", Range = "10.9.0.100-10.9.0.102" },
        new() { Network = "172.16.0.0/16", Range = "172.16.5.1-172.16.5.3", Router = "172.16.0.254", LeaseTime = TimeSpan.FromMinutes(10), Dns = ["172.16.0.53"] },
    ];

    private static DhcpServerOptions Options(IReadOnlyList<DhcpSubnetOptions>? subnets = null, string? leaseFile = null) => new()
    {
        Interface = "lan",
        Interfaces = Interfaces(),
        Range = "10.0.0.100-10.0.0.102",
        LeaseTime = TimeSpan.FromHours(1),
        Dns = ["10.0.0.53"],
        LeaseFile = leaseFile,
        OfferTime = TimeSpan.FromSeconds(30),
        ProbeTime = TimeSpan.Zero,
        Subnets = subnets ?? Subnets(),
    };

    private void Start(DhcpServerOptions options, InterfaceAddressBook? book = null)
    {
        _server = new DhcpServer(options, _clock, book);
        _servers.Add(_server);
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
        foreach (DhcpServer server in _servers)
        {
            server.Dispose();
        }
        _pool.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A client's message as relay agent <paramref name="giaddr"/> forwards it: from the relay's port 67 to the server's address.</summary>
    private static byte[] Relayed(int client, uint xid, string type, string options = "", string giaddr = Relay, string ciaddr = "0.0.0.0") =>
        FromClient(client, xid, type, options, src: giaddr, dst: "10.0.0.1", ciaddr: ciaddr, giaddr: giaddr, ethernetDestination: LanMac);

    /// <summary>A message a client behind a relay sends straight to the server from its address (renewing, releasing, informing: RFC 2131 4.4.5, 4.4.6).</summary>
    private static byte[] Unicast(int client, uint xid, string type, string address, string options = "") =>
        FromClient(client, xid, type, options, src: address, dst: "10.0.0.1", ciaddr: address, ethernetDestination: LanMac);

    /// <summary>Sends one request; returns scapy's reading of the one reply on <paramref name="port"/>, asserting nothing else left.</summary>
    private Dictionary<string, string> Exchange(byte[] request, string port = "relay")
    {
        _harness.Process([_pool.Classified(Lan, request)]);
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

    /// <summary>Sends one request that must get no reply, dropped for <paramref name="reason"/>.</summary>
    private void Silent(byte[] request, string reason)
    {
        long before = Drops(reason);
        _harness.Process([_pool.Classified(Lan, request)]);
        Assert.Empty(_harness.Output("link"));
        Assert.Empty(_harness.Output("relay"));
        Assert.Empty(_harness.Output("other"));
        Assert.Equal(before + 1, Drops(reason));
    }

    /// <summary>Sends one request the server acts on without answering (DECLINE, RELEASE).</summary>
    private void Consumed(byte[] request)
    {
        long before = _harness.Stats.Consumed;
        _harness.Process([_pool.Classified(Lan, request)]);
        Assert.Empty(_harness.Output("link"));
        Assert.Empty(_harness.Output("relay"));
        Assert.Equal(before + 1, _harness.Stats.Consumed);
    }

    private long Drops(string reason) => _harness.Stats.Drops.Single(d => d.Reason == reason).Packets;

    private DhcpLeaseEntry Lease(string address) => _server.GetLeases(all: true).Single(l => l.Address == address);

    private DhcpPoolStatus PoolOf(string network) => _server.GetPools().Single(p => p.Network == network);

    /// <summary>DISCOVER then REQUEST (SELECTING), both through <paramref name="giaddr"/>; returns the address bound.</summary>
    private string Bind(int client, string giaddr = Relay)
    {
        string address = Exchange(Relayed(client, 100, "discover", giaddr: giaddr))["yiaddr"];
        Dictionary<string, string> ack = Exchange(Relayed(client, 101, "request", $"('requested_addr','{address}'), ('server_id','10.0.0.1')", giaddr));
        Assert.Equal("5", ack["message-type"]);
        return address;
    }

    [Fact]
    public void ARelayedDiscoverIsOfferedAnAddressOfGiaddrsPoolWithItsMaskAndTheRelayAsRouterSentToTheRelay()
    {
        Dictionary<string, string> offer = Exchange(Relayed(1, 7, "discover", "('hostname', b'far1')"));

        Assert.Equal(("2", "7", "10.9.0.100"), (offer["message-type"], offer["xid"], offer["yiaddr"]));
        Assert.Equal("255.255.255.0", offer["subnet_mask"]);
        Assert.Equal(Relay, offer["router"]);
        Assert.Equal("10.9.0.255", offer["broadcast_address"]);
        Assert.Equal("10.0.0.53", offer["name_server"]);
        Assert.Equal(("3600", "1800", "3150"), (offer["lease_time"], offer["renewal_time"], offer["rebinding_time"]));
        Assert.Equal("10.0.0.1", offer["server_id"]);
        // To the relay agent's server port, from the server's address, for local_lookup to route.
        Assert.Equal((Relay, "10.0.0.1", "67", "67", Relay), (offer["ip_dst"], offer["ip_src"], offer["sport"], offer["dport"], offer["giaddr"]));
        Assert.Equal("True", offer["checksums_ok"]);
        DhcpLeaseEntry lease = Lease("10.9.0.100");
        Assert.Equal((DhcpLeaseState.Offered, "far1", "10.9.0.0/24"), (lease.State, lease.HostName, lease.Network));
    }

    [Fact]
    public void ASubnetsOwnRouterLeaseTimeAndDnsAreHandedOutWithItsMask()
    {
        Dictionary<string, string> offer = Exchange(Relayed(1, 7, "discover", giaddr: OtherRelay));

        Assert.Equal("172.16.5.1", offer["yiaddr"]);
        Assert.Equal("255.255.0.0", offer["subnet_mask"]);
        Assert.Equal("172.16.0.254", offer["router"]);
        Assert.Equal("172.16.255.255", offer["broadcast_address"]);
        Assert.Equal("172.16.0.53", offer["name_server"]);
        Assert.Equal(("600", "300", "525"), (offer["lease_time"], offer["renewal_time"], offer["rebinding_time"]));
        Assert.Equal(OtherRelay, offer["ip_dst"]);
    }

    [Fact]
    public void ARelayedRequestIsAckedAndTheLeaseBoundInItsPoolWithThePoolsCounters()
    {
        string address = Bind(1);

        DhcpLeaseEntry lease = Lease(address);
        Assert.Equal(("10.9.0.100", DhcpLeaseState.Bound, ClientMac(1), 3600L, "10.9.0.0/24"), (lease.Address, lease.State, lease.Mac, lease.SecondsLeft, lease.Network));
        DhcpPoolStatus pool = PoolOf("10.9.0.0/24");
        Assert.Equal(("10.9.0.100-10.9.0.102", "giaddr", 3, 1, 0), (pool.Range, pool.Router, pool.Size, pool.Bound, pool.Offered));
        Assert.Equal((1L, 1L, 0L), (pool.Offers, pool.Acks, pool.Naks));
        DhcpPoolStatus lan = PoolOf("10.0.0.0/24");
        Assert.Equal(("10.0.0.100-10.0.0.102", "10.0.0.1", 0L, 0L), (lan.Range, lan.Router, lan.Offers, lan.Acks));
        Assert.Equal(["10.0.0.0/24", "10.9.0.0/24", "172.16.0.0/16"], _server.GetPools().Select(p => p.Network));
        DhcpServerCounters counters = _server.GetCounters();
        Assert.Equal((1L, 1L), (counters.Offers, counters.Acks));
    }

    [Fact]
    public void AClientOnTheLinkItselfIsStillServedFromLansPool()
    {
        Dictionary<string, string> offer = Exchange(FromClient(1, 1, "discover"), "link");
        Assert.Equal(("10.0.0.100", "255.255.255.0", "10.0.0.1"), (offer["yiaddr"], offer["subnet_mask"], offer["router"]));
        Assert.Equal("10.0.0.0/24", Lease("10.0.0.100").Network);
        // The same client relayed from the subnet gets that subnet's address, not its lan one.
        Assert.Equal("10.9.0.100", Exchange(Relayed(1, 2, "discover"))["yiaddr"]);
    }

    [Fact]
    public void ARequestRelayedFromASubnetNoPoolHasIsDroppedAsOtherSubnet()
    {
        Silent(Relayed(1, 1, "discover", giaddr: "10.7.0.1"), "other_subnet");
        Silent(Relayed(1, 2, "request", "('requested_addr','10.7.0.100')", giaddr: "10.7.0.1"), "other_subnet");
        Assert.Empty(_server.GetLeases());
    }

    [Fact]
    public void InitRebootThroughARelayIsNakedForAnAddressOffTheRelaysSubnetAndAckedForItsOwnBinding()
    {
        // Lan's network is not this client's: the NAK goes to the relay, asking it to broadcast (4.3.2).
        Dictionary<string, string> nak = Exchange(Relayed(1, 3, "request", "('requested_addr','10.0.0.101')"));
        Assert.Equal(("6", Relay, "67", "32768"), (nak["message-type"], nak["ip_dst"], nak["dport"], nak["flags"]));
        Assert.Equal(1, PoolOf("10.9.0.0/24").Naks);

        string address = Bind(1);
        Dictionary<string, string> ack = Exchange(Relayed(1, 4, "request", $"('requested_addr','{address}')"));
        Assert.Equal(("5", address), (ack["message-type"], ack["yiaddr"]));
        // Another client claiming it is told no; an unknown address of the pool gets silence.
        Assert.Equal("6", Exchange(Relayed(2, 5, "request", $"('requested_addr','{address}')"))["message-type"]);
        Silent(Relayed(3, 6, "request", "('requested_addr','10.9.0.102')"), "no_binding");
        // An address of the other subnet is off this client's network too.
        Assert.Equal("6", Exchange(Relayed(1, 7, "request", "('requested_addr','172.16.5.1')"))["message-type"]);
    }

    [Fact]
    public void AnExhaustedSubnetPoolDropsAndCountsWhileTheOtherPoolsStillServe()
    {
        Bind(1);
        Bind(2);
        Bind(3);
        Silent(Relayed(4, 1, "discover"), "pool_exhausted");

        Assert.Equal(1, PoolOf("10.9.0.0/24").Exhausted);
        Assert.Equal(0, PoolOf("10.0.0.0/24").Exhausted);
        Assert.Equal("10.0.0.100", Exchange(FromClient(4, 2, "discover"), "link")["yiaddr"]);
        Assert.Equal("172.16.5.1", Exchange(Relayed(4, 3, "discover", giaddr: OtherRelay))["yiaddr"]);
    }

    [Fact]
    public void TheRelaysOwnAddressIsNeverOfferedWhenTheRangeHoldsIt()
    {
        Start(Options([new DhcpSubnetOptions { Network = "10.9.0.0/24", Range = "10.9.0.1-10.9.0.2" }]));
        Assert.Equal("10.9.0.2", Exchange(Relayed(1, 1, "discover", "('requested_addr','10.9.0.1')"))["yiaddr"]);
        Silent(Relayed(2, 1, "discover"), "pool_exhausted");
    }

    [Fact]
    public void AClientBehindTheRelayRenewsByUnicastAndIsAckedRoutedToCiaddrWithTheRelayAsRouter()
    {
        string address = Bind(1);
        _clock.Advance(TimeSpan.FromMinutes(30));

        Dictionary<string, string> ack = Exchange(Unicast(1, 8, "request", address));

        Assert.Equal(("5", address, address), (ack["message-type"], ack["yiaddr"], ack["ciaddr"]));
        // Routed to the client (4.1: unicast to ciaddr), on the client port: not on lan's link.
        Assert.Equal((address, "10.0.0.1", "67", "68"), (ack["ip_dst"], ack["ip_src"], ack["sport"], ack["dport"]));
        Assert.Equal(("255.255.255.0", Relay), (ack["subnet_mask"], ack["router"]));
        Assert.Equal(3600, Lease(address).SecondsLeft);
        Assert.Equal(2, PoolOf("10.9.0.0/24").Acks);
    }

    [Fact]
    public void AClientThatMovedOntoTheLinkItselfAndRebindsWithItsSubnetsAddressIsNakedThere()
    {
        string address = Bind(1);

        // REBINDING is broadcast: it came on lan's link, whatever ciaddr says (4.3.2 wrong network).
        Dictionary<string, string> nak = Exchange(FromClient(1, 8, "request", src: address, ciaddr: address), "link");

        Assert.Equal(("6", "255.255.255.255", "ff:ff:ff:ff:ff:ff"), (nak["message-type"], nak["ip_dst"], nak["eth_dst"]));
        Assert.Equal(1, PoolOf("10.0.0.0/24").Naks);
        Assert.Equal(DhcpLeaseState.Bound, Lease(address).State);
    }

    [Fact]
    public void AClientBehindTheRelayReleasesByUnicastAndDeclinesThroughTheRelayInItsPool()
    {
        string first = Bind(1);
        Consumed(Unicast(1, 9, "release", first, "('server_id','10.0.0.1')"));
        Assert.Equal(DhcpLeaseState.Free, Lease(first).State);

        string second = Bind(2);
        Consumed(Relayed(2, 10, "decline", $"('requested_addr','{second}'), ('server_id','10.0.0.1')"));
        Assert.Equal(DhcpLeaseState.Declined, Lease(second).State);
        Assert.Equal(1, PoolOf("10.9.0.0/24").Declined);
    }

    [Fact]
    public void AnInformThroughTheRelayGetsItsPoolsOptions()
    {
        Dictionary<string, string> ack = Exchange(Relayed(1, 4, "inform", ciaddr: "172.16.9.9", giaddr: OtherRelay));
        Assert.Equal(("5", "0.0.0.0", "255.255.0.0", "172.16.0.254"), (ack["message-type"], ack["yiaddr"], ack["subnet_mask"], ack["router"]));
        Assert.False(ack.ContainsKey("lease_time"));
        Assert.Equal(OtherRelay, ack["ip_dst"]);
    }

    [Fact]
    public void ARelayedDiscoverIsNotProbedByArp()
    {
        var book = new InterfaceAddressBook();
        Start(Options() with { ProbeTime = TimeSpan.FromMilliseconds(500) }, book);
        Assert.Equal("10.9.0.100", Exchange(Relayed(1, 1, "discover"))["yiaddr"]);
        Assert.False(book.HasChecks);
        Assert.Equal(0, _server.GetCounters().Probes);
    }

    [Fact]
    public void SubnetLeasesInTheLeaseFileSurviveARestartInTheirPools()
    {
        string file = Path.Combine(_directory, "leases.json");
        Start(Options(leaseFile: file));
        string far = Bind(1, OtherRelay);
        string near = Exchange(FromClient(2, 1, "discover"), "link")["yiaddr"];
        Exchange(FromClient(2, 2, "request", $"('requested_addr','{near}'), ('server_id','10.0.0.1')"), "link");
        _server.OnStop();

        Start(Options(leaseFile: file));
        Assert.Equal((DhcpLeaseState.Bound, "172.16.0.0/16"), (Lease(far).State, Lease(far).Network));
        Assert.InRange(Lease(far).SecondsLeft, 590, 600);
        Assert.Equal((DhcpLeaseState.Bound, "10.0.0.0/24"), (Lease(near).State, Lease(near).Network));
        Assert.Equal(far, Exchange(Relayed(1, 3, "discover", giaddr: OtherRelay))["yiaddr"]);
    }

    public static TheoryData<string, string, string?, string> BadSubnets => new()
    {
        { "10.0.0.0/25", "10.0.0.10-10.0.0.20", null, "Subnets[0].Network 10.0.0.0/25 overlaps lan's network 10.0.0.0/24" },
        { "10.0.0.0/8", "10.9.0.10-10.9.0.20", null, "Subnets[0].Network 10.0.0.0/8 overlaps lan's network 10.0.0.0/24" },
        { "192.0.2.0/24", "192.0.2.10-192.0.2.20", null, "Subnets[0].Network 192.0.2.0/24 overlaps wan's network 192.0.2.0/24" },
        { "10.9.0.5/24", "10.9.0.10-10.9.0.20", null, "has host bits set beyond /24; did you mean 10.9.0.0/24?" },
        { "10.9.0.0/31", "10.9.0.0-10.9.0.1", null, "Subnets[0].Network 10.9.0.0/31 is not /1 to /30" },
        { "10.9.0.0/24", "10.9.1.10-10.9.1.20", null, "Subnets[0].Range '10.9.1.10-10.9.1.20' is not an ascending range inside its network 10.9.0.0/24" },
        { "10.9.0.0/24", "10.9.0.20-10.9.0.10", null, "Subnets[0].Range '10.9.0.20-10.9.0.10' is not an ascending range inside its network 10.9.0.0/24" },
        { "10.9.0.0/24", "10.9.0.10", null, "Subnets[0].Range '10.9.0.10' is not two IPv4 addresses first-last" },
        { "10.9.0.0/24", "10.9.0.10-10.9.0.20", "10.8.0.1", "Subnets[0].Router '10.8.0.1' is not a host address of 10.9.0.0/24" },
        { "10.9.0.0/24", "10.9.0.10-10.9.0.20", "10.9.0.255", "Subnets[0].Router '10.9.0.255' is not a host address of 10.9.0.0/24" },
    };

    [Theory]
    [MemberData(nameof(BadSubnets))]
    public void ABadSubnetIsRefusedNamingIt(string network, string range, string? router, string expected)
    {
        DhcpServerOptions options = Options([new DhcpSubnetOptions { Network = network, Range = range, Router = router }]);
        var e = Assert.Throws<RouterConfigurationException>(() => new DhcpServer(options, _clock));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OverlappingSubnetsABadLeaseTimeAndDnsAreEachReportedAtTheirMember()
    {
        DhcpServerOptions options = Options(
        [
            new() { Network = "10.9.0.0/24", Range = "10.9.0.10-10.9.0.20", LeaseTime = TimeSpan.FromSeconds(1) },
            new() { Network = "10.9.0.128/25", Range = "10.9.0.130-10.9.0.140" },
            new() { Network = "10.10.0.0/24", Range = "10.10.0.10-10.10.0.20", Dns = ["10.10.0.53", "dns.example"] },
        ]);

        List<ValidationResult> results = [.. options.Validate(new ValidationContext(options))];

        Assert.Equal(["Subnets[0].LeaseTime", "Subnets[1].Network", "Subnets[2].Dns[1]"], results.Select(r => r.MemberNames.Single()));
        Assert.Contains("00:00:01 is out of range 10 seconds", results[0].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("Subnets[1].Network 10.9.0.128/25 overlaps Subnets[0].Network 10.9.0.0/24", results[1].ErrorMessage);
        Assert.Equal("Subnets[2].Dns 'dns.example' is not an IPv4 address", results[2].ErrorMessage);
    }

    [Fact]
    public void ADisabledServerDoesNotCheckItsSubnets()
    {
        Start(Options([new DhcpSubnetOptions { Network = "10.0.0.0/24", Range = "x" }]) with { Enabled = false });
        Silent(Relayed(1, 1, "discover"), "disabled");
    }
}
