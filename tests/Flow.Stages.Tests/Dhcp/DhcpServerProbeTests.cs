using Flow.Protocols.Ethernet;
using Flow.Stages.Dhcp;
using Flow.Stages.Ipv4;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Dhcp.DhcpFrames;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Dhcp;

/// <summary>
/// dhcp_server with the router's address book (as router.json runs it) probes an address by ARP
/// before it offers it to a client that does not hold it (RFC 2131 4.3.1): the DISCOVER waits
/// ProbeTime (500 ms), an address another host answers for is kept back and the next probed.
/// What <c>arp</c> would report is reported to the book by hand; frames are read by scapy.
/// </summary>
public sealed class DhcpServerProbeTests : IDisposable
{
    private static readonly MacAddress Squatter = new(0x02, 0, 0, 0, 0x66, 0x66);

    private readonly LeakCheckingPool _pool = new(64);
    private readonly ManualClock _clock = new();
    private readonly InterfaceAddressBook _book = new();
    private readonly DhcpServer _server;
    private readonly StageHarness _harness;

    public DhcpServerProbeTests()
    {
        _server = new DhcpServer(new DhcpServerOptions { Interface = "lan", Interfaces = Interfaces(), Range = "10.0.0.100-10.0.0.102" }, _clock, _book);
        _harness = new StageHarness(_server, "dhcp_server");
    }

    public void Dispose()
    {
        _harness.Dispose();
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _server.Dispose();
        _pool.Dispose();
    }

    private void Advance(double seconds)
    {
        _clock.Advance(TimeSpan.FromSeconds(seconds));
        _harness.Tick(_clock.NowNanoseconds);
    }

    private byte[] TakeOne() => DhcpFrames.TakeOne(_harness);

    private static string ArpRequest(byte[] frame) => Dissect(frame, "p.dst, p.src, p[ARP].op, p[ARP].hwsrc, p[ARP].psrc, p[ARP].pdst");

    private static string ProbeOf(string address) => $"ff:ff:ff:ff:ff:ff {LanMac} 1 {LanMac} 10.0.0.1 {address}";

    private static uint Host32(string address) => (uint)System.Net.IPAddress.NetworkToHostOrder(BitConverter.ToInt32(System.Net.IPAddress.Parse(address).GetAddressBytes()));

    [Fact]
    public void ADiscoverWaitsForTheArpProbeOfItsAddressThenGetsItsOffer()
    {
        _harness.Process([_pool.Classified(Lan, FromClient(1, 7, "discover"))]);
        Assert.Equal(ProbeOf("10.0.0.100"), ArpRequest(TakeOne()));
        Assert.Equal(DhcpLeaseState.Offered, _server.GetLeases().Single(l => l.Address == "10.0.0.100").State);

        // The client asks again meanwhile: no second probe, no early offer.
        _harness.Process([_pool.Classified(Lan, FromClient(1, 7, "discover"))]);
        Assert.Empty(_harness.Output("link"));
        Assert.Equal(1, _harness.Stats.Drops.Single(d => d.Reason == "probing").Packets);
        Advance(0.499);
        Assert.Empty(_harness.Output("link"));
        Advance(0.002);

        Dictionary<string, string> offer = Read(TakeOne());
        Assert.Equal(("2", "10.0.0.100", "7"), (offer["message-type"], offer["yiaddr"], offer["xid"]));
        Assert.Equal("True", offer["checksums_ok"]);
        Assert.False(_book.HasChecks);
        DhcpServerCounters counters = _server.GetCounters();
        Assert.Equal((1L, 0L, 1L), (counters.Probes, counters.AddressesInUse, counters.Offers));
    }

    [Fact]
    public void AnAddressAnotherHostAnswersForIsKeptBackAndTheNextIsProbedAndOffered()
    {
        _harness.Process([_pool.Classified(Lan, FromClient(1, 7, "discover"))]);
        TakeOne();
        Advance(0.1);
        // The client itself answering for the address (it still holds it) is no claim.
        _book.ReportClaim("lan", Host32("10.0.0.100"), Mac(ClientMac(1)));
        Advance(0.01);
        Assert.Empty(_harness.Output("link"));
        _book.ReportClaim("lan", Host32("10.0.0.100"), Squatter);
        Advance(0.01);

        Assert.Equal(ProbeOf("10.0.0.101"), ArpRequest(TakeOne()));
        Assert.Equal(DhcpLeaseState.Declined, _server.GetLeases().Single(l => l.Address == "10.0.0.100").State);
        Advance(0.5);
        Dictionary<string, string> offer = Read(TakeOne());
        Assert.Equal(("2", "10.0.0.101"), (offer["message-type"], offer["yiaddr"]));
        DhcpServerCounters counters = _server.GetCounters();
        Assert.Equal((2L, 1L, 1L), (counters.Probes, counters.AddressesInUse, counters.Offers));
    }

    [Fact]
    public void TheClientsOwnBindingIsOfferedAgainWithoutAProbe()
    {
        _harness.Process([_pool.Classified(Lan, FromClient(1, 7, "discover"))]);
        TakeOne();
        Advance(0.6);
        TakeOne();
        _harness.Process([_pool.Classified(Lan, FromClient(1, 8, "request", "('requested_addr','10.0.0.100'), ('server_id','10.0.0.1')"))]);
        Assert.Equal("5", Read(TakeOne())["message-type"]);

        _harness.Process([_pool.Classified(Lan, FromClient(1, 9, "discover"))]);
        Dictionary<string, string> offer = Read(TakeOne());
        Assert.Equal(("2", "10.0.0.100"), (offer["message-type"], offer["yiaddr"]));
        Assert.Equal(1, _server.GetCounters().Probes);
    }

    [Fact]
    public void ADiscoverHeldWhenTheGraphStopsIsFreedAndItsCheckEnded()
    {
        _harness.Process([_pool.Classified(Lan, FromClient(1, 7, "discover"))]);
        TakeOne();
        Assert.True(_book.HasChecks);
        _server.OnStop();
        Assert.False(_book.HasChecks);
    }
}
