using System.Text.Json;
using Flow.Stages.Dhcp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Dhcp.DhcpFrames;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Dhcp;

/// <summary>
/// dhcp_client with a lease file: each binding written to it, emptied when the lease is given
/// back, and a lease in it that has not ended asked for again at start (INIT-REBOOT, RFC 2131
/// 4.4.2). Frames read by scapy; the address check is off (it has its own tests).
/// </summary>
public sealed class DhcpClientRebootTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(64);
    private readonly ManualClock _clock = new();
    private readonly Ipv4RouteTable _routes = new(new Ipv4RouteTableOptions { MaxNextHops = 64, Fib = new Ipv4FibOptions { Tbl8Groups = 4, MaxRoutes = 64 } });
    private readonly InterfaceAddressBook _book = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("flow-dhcp-client-").FullName;
    private readonly List<StageHarness> _harnesses = [];

    public void Dispose()
    {
        foreach (StageHarness harness in _harnesses)
        {
            // As the graph would at its end: waits for a lease-file write still in flight.
            harness.Stage.OnStop();
            Assert.True(harness.Stats.IsBalanced, harness.Stats.ToString());
            harness.Dispose();
        }
        _routes.Dispose();
        _pool.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string LeaseFile => Path.Combine(_directory, "wan.lease");

    private (DhcpClient Client, StageHarness Harness) Start()
    {
        var client = new DhcpClient(new DhcpClientOptions { Interface = "wan", Interfaces = DhcpClientTests.DhcpInterfaces(), AddressCheckProbes = 0, LeaseFile = LeaseFile },
            _clock, _routes, _book);
        var harness = new StageHarness(client, "dhcp_client");
        _harnesses.Add(harness);
        return (client, harness);
    }

    private static Dictionary<string, string> Sent(StageHarness harness) => Read(TakeOne(harness));

    private void Receive(StageHarness harness, byte[] frame) => harness.Process([_pool.Classified(Wan, frame)]);

    /// <summary>The file's leases as (address, bound_until).</summary>
    private List<(string Address, DateTimeOffset Until)> FileLeases()
    {
        using JsonDocument file = JsonDocument.Parse(File.ReadAllText(LeaseFile));
        return [.. file.RootElement.GetProperty("leases").EnumerateArray()
            .Select(l => (l.GetProperty("address").GetString()!, DateTimeOffset.Parse(l.GetProperty("bound_until").GetString()!, System.Globalization.CultureInfo.InvariantCulture)))];
    }

    private void Bind(DhcpClient client, StageHarness harness)
    {
        harness.Tick(_clock.NowNanoseconds);
        uint xid = uint.Parse(Sent(harness)["xid"]);
        Receive(harness, FromServer(WanMac, xid, "offer", "192.0.2.50", DhcpClientTests.LeaseOptions));
        uint request = uint.Parse(Sent(harness)["xid"]);
        Receive(harness, FromServer(WanMac, request, "ack", "192.0.2.50", DhcpClientTests.LeaseOptions));
        Assert.Equal(DhcpClientState.Bound, client.State);
    }

    [Fact]
    public void ABindingIsWrittenAndAStopWithoutADrainKeepsIt_ThenTheNextStartAsksForTheAddressAgain()
    {
        (DhcpClient first, StageHarness one) = Start();
        Bind(first, one);
        first.OnStop();
        (string address, DateTimeOffset until) = Assert.Single(FileLeases());
        Assert.Equal("192.0.2.50", address);
        Assert.InRange((until - DateTimeOffset.UtcNow).TotalSeconds, 100, 121);

        (DhcpClient second, StageHarness two) = Start();
        Assert.Equal(DhcpClientState.InitReboot, second.State);
        two.Tick(_clock.NowNanoseconds);
        Dictionary<string, string> request = Sent(two);
        Assert.Equal(("3", "192.0.2.50", "0.0.0.0", "255.255.255.255", "32768"),
            (request["message-type"], request["requested_addr"], request["ciaddr"], request["ip_dst"], request["flags"]));
        Assert.False(request.ContainsKey("server_id"), "INIT-REBOOT names no server (RFC 2131 table 5)");
        Assert.Equal(DhcpClientState.Rebooting, second.State);

        Receive(two, FromServer(WanMac, uint.Parse(request["xid"]), "ack", "192.0.2.50", DhcpClientTests.LeaseOptions));
        Assert.Equal(DhcpClientState.Bound, second.State);
        Assert.Equal("192.0.2.50/24", _book.Get("wan")!.Text);
    }

    [Fact]
    public void ANakToTheRebootRequestSendsTheClientToInitAndEmptiesTheFile()
    {
        (DhcpClient first, StageHarness one) = Start();
        Bind(first, one);
        first.OnStop();

        (DhcpClient second, StageHarness two) = Start();
        two.Tick(_clock.NowNanoseconds);
        Receive(two, FromServer(WanMac, uint.Parse(Sent(two)["xid"]), "nak", "0.0.0.0", "('server_id','192.0.2.2')"));
        Assert.Equal(DhcpClientState.Init, second.State);
        Assert.True(Waits.TryUntilBlocking(() => FileLeases().Count == 0, TimeSpan.FromSeconds(5)), "the file forgets the refused lease");
        _clock.Advance(TimeSpan.FromSeconds(1.1));
        two.Tick(_clock.NowNanoseconds);
        Assert.Equal("1", Sent(two)["message-type"]);
    }

    [Fact]
    public void UnansweredRebootRequestsAreTriedTwiceThenTheClientDiscovers()
    {
        (DhcpClient first, StageHarness one) = Start();
        Bind(first, one);
        first.OnStop();

        (DhcpClient second, StageHarness two) = Start();
        two.Tick(_clock.NowNanoseconds);
        Assert.Equal("3", Sent(two)["message-type"]);
        _clock.Advance(TimeSpan.FromSeconds(5.1));
        two.Tick(_clock.NowNanoseconds);
        Assert.Equal("3", Sent(two)["message-type"]);
        _clock.Advance(TimeSpan.FromSeconds(9.1));
        two.Tick(_clock.NowNanoseconds);
        two.Tick(_clock.NowNanoseconds);
        Assert.Equal("1", Sent(two)["message-type"]);
        Assert.Equal(DhcpClientState.Selecting, second.State);
    }

    [Fact]
    public void AReleaseOnAGracefulStopEmptiesTheFileAndAnEndedLeaseIsNotAskedFor()
    {
        (DhcpClient first, StageHarness one) = Start();
        Bind(first, one);
        first.OnDraining();
        PacketPools.Free(one.Take("routed"));
        Assert.True(Waits.TryUntilBlocking(() => FileLeases().Count == 0, TimeSpan.FromSeconds(5)), "the file forgets the released lease");

        File.WriteAllText(LeaseFile, """{ "leases": [ { "address": "192.0.2.50", "mac": "02:00:00:00:02:01", "client_id": "01020000000201", "bound_until": "2020-01-01T00:00:00+00:00" } ] }""");
        (DhcpClient second, _) = Start();
        Assert.Equal(DhcpClientState.Init, second.State);
    }
}
