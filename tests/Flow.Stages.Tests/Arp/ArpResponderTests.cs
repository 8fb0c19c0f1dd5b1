using System.Buffers.Binary;
using Flow.Protocols.Ethernet;
using Flow.Stages.Arp;
using Flow.Stages.Ipv4;
using Xunit;
using static Flow.Stages.Tests.Arp.ArpRouter;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Arp;

/// <summary>arp: answers, learning rules (research 1.2 A2/A3), malformed input, gratuitous ARP, defaults.</summary>
public sealed class ArpResponderTests : IDisposable
{
    private readonly ArpRouter _router = new();

    public void Dispose() => _router.Dispose();

    [Fact]
    public void RepliesWithOwnMacForTheReceivingInterfacesAddress()
    {
        _router.Responder.Process([_router.ArpIn(Lan, Request(Host, "10.0.0.10", "10.0.0.1"))]);

        byte[] reply = Assert.Single(TakeBytes(_router.Responder, "lan"));
        Assert.Equal(Host, new MacAddress(reply.AsSpan(0, 6)));
        Assert.Equal(Router, new MacAddress(reply.AsSpan(6, 6)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(20)));
        Assert.Equal(Router, new MacAddress(reply.AsSpan(22, 6)));
        Assert.Equal(Address("10.0.0.1"), new Protocols.Ipv4.Ipv4Address(reply.AsSpan(28, 4)));
        Assert.Equal(Host, new MacAddress(reply.AsSpan(32, 6)));
        Assert.Equal(Address("10.0.0.10"), new Protocols.Ipv4.Ipv4Address(reply.AsSpan(38, 4)));
        Assert.Equal("02:00:00:00:00:0a 10.0.0.1 is-at 02:00:00:00:01:01",
            Dissect(reply, "p.dst, p[ARP].psrc, 'is-at', p[ARP].hwsrc").Replace("(", "").Replace(")", "").Replace("'", "").Replace(",", ""));
    }

    [Fact]
    public void AHostHoldingOrProbingForAnAddressUnderCheckIsReportedToTheCheckOfItsInterface()
    {
        var book = new InterfaceAddressBook();
        using var router = new ArpRouter(addresses: book);
        AddressCheck wan = book.BeginCheck("wan", Host32("192.0.2.77"));
        AddressCheck lan = book.BeginCheck("lan", Host32("10.0.0.77"));
        AddressCheck ended = book.BeginCheck("lan", Host32("10.0.0.10"));
        book.EndCheck(ended);

        // The router's own probe coming back claims nothing; a LAN host using 192.0.2.77 is on the wrong link.
        router.Responder.Process([router.ArpIn(Wan, Request(Mac(WanMac), "0.0.0.0", "192.0.2.77")), router.ArpIn(Lan, Request(Host, "192.0.2.77", "10.0.0.1"))]);
        Assert.Null(wan.Claimant);
        // The holder answers the probe (sender: the address; target: 0.0.0.0 at the router's MAC).
        router.Responder.Process([router.ArpIn(Wan, ArpFrame(2, Gateway, Mac(WanMac), Gateway, "192.0.2.77", Mac(WanMac), "0.0.0.0"))]);
        Assert.Equal(Gateway, wan.Claimant);
        Assert.Null(lan.Claimant);
        // Another host probes for the same address at the same time (RFC 5227 2.1.1).
        router.Responder.Process([router.ArpIn(Lan, Request(Host, "0.0.0.0", "10.0.0.77"))]);
        Assert.Equal(Host, lan.Claimant);
        // A host using an address whose check ended is nobody's business.
        router.Responder.Process([router.ArpIn(Lan, Request(Host, "10.0.0.10", "10.0.0.1"))]);
        Assert.Null(ended.Claimant);
        foreach (string port in new[] { "lan", "wan" })
        {
            PacketPools.Free(router.Responder.Take(port));
        }
    }

    [Fact]
    public void DoesNotAnswerForAnAddressOfAnotherInterface()
    {
        _router.Responder.Process([_router.ArpIn(Lan, Request(Host, "10.0.0.10", "192.0.2.1"))]);

        Assert.Empty(_router.Responder.Output("lan"));
        Assert.Empty(_router.Responder.Output("wan"));
        Assert.Equal(1, _router.Responder.Stats.DroppedFor("not_for_us"));
    }

    [Fact]
    public void LearnsTheRequesterAsReachableWithAHostRoute()
    {
        _router.Responder.Process([_router.ArpIn(Lan, Request(Host, "10.0.0.10", "10.0.0.1"))]);
        _router.Table.ApplyRouteChanges();

        NeighbourEntry entry = Assert.IsType<NeighbourEntry>(_router.Neighbour("10.0.0.10"));
        Assert.Equal((NeighbourState.Reachable, (MacAddress?)Host, "lan", true), (entry.State, entry.Mac, entry.Interface, entry.HostRoute));
        Assert.True(_router.Routes.TryGet(new Flow.Stages.Routing.Ipv4Prefix(Host32("10.0.0.10"), 32), out Flow.Stages.Routing.Ipv4Route route));
        Assert.Equal(Flow.Stages.Routing.Ipv4Route.Via(Address("10.0.0.10"), Lan), route);
    }

    [Fact]
    public void DoesNotLearnFromARequestForSomeoneElse()
    {
        _router.Responder.Process([_router.ArpIn(Lan, Request(Host, "10.0.0.10", "10.0.0.20"))]);

        Assert.Null(_router.Neighbour("10.0.0.10"));
    }

    [Fact]
    public void DoesNotLearnASenderOffTheInterfacesPrefixes()
    {
        _router.Responder.Process([_router.ArpIn(Lan, Request(Host, "172.16.0.5", "10.0.0.1"))]);

        Assert.Null(_router.Neighbour("172.16.0.5"));
        Assert.Single(TakeBytes(_router.Responder, "lan"));
    }

    [Fact]
    public void DropsAndDoesNotLearnWhenSenderMacDiffersFromEthernetSource()
    {
        byte[] frame = ArpFrame(1, Host, MacAddress.Broadcast, new MacAddress(0x02, 0, 0, 0, 0, 0x66), "10.0.0.10", default, "10.0.0.1");

        _router.Responder.Process([_router.ArpIn(Lan, frame)]);

        Assert.Equal(1, _router.Responder.Stats.DroppedFor("sender_mac_mismatch"));
        Assert.Empty(_router.Responder.Output("lan"));
        Assert.Null(_router.Neighbour("10.0.0.10"));
    }

    [Fact]
    public void CountsAHostClaimingOneOfTheRoutersAddresses()
    {
        _router.Responder.Process([
            _router.ArpIn(Lan, Request(Host, "10.0.0.1", "10.0.0.1")),
            _router.ArpIn(Lan, ArpFrame(2, Host, MacAddress.Broadcast, Host, "192.0.2.1", default, "192.0.2.1")),
        ]);

        Assert.Equal(2, _router.Arp.AddressConflicts);
        Assert.Equal(2, _router.Responder.Stats.DroppedFor("address_conflict"));
        Assert.Null(_router.Neighbour("10.0.0.1"));
    }

    [Fact]
    public void AnswersAnAddressProbeWithoutLearningFromIt()
    {
        _router.Responder.Process([_router.ArpIn(Lan, Request(Host, "0.0.0.0", "10.0.0.1"))]);

        Assert.Single(TakeBytes(_router.Responder, "lan"));
        Assert.Equal(0, _router.Table.Count);
    }

    [Fact]
    public void RefreshesAKnownNeighbourFromItsGratuitousArp()
    {
        _router.Responder.Process([_router.ArpIn(Lan, Request(Host, "10.0.0.10", "10.0.0.1"))]);
        TakeBytes(_router.Responder, "lan");
        var moved = new MacAddress(0x02, 0, 0, 0, 0, 0x0b);

        _router.Responder.Process([_router.ArpIn(Lan, Request(moved, "10.0.0.10", "10.0.0.10"))]);

        Assert.Equal(moved, _router.Neighbour("10.0.0.10")!.Mac);
        Assert.Equal(1, _router.Responder.Stats.DroppedFor("not_for_us"));
    }

    [Fact]
    public void AbsorbsRepliesAfterLearningFromThem()
    {
        _router.Resolver.Process([_router.Ipv4To("10.0.0.10")]);
        _router.Responder.Process([_router.ArpIn(Lan, Reply(Host, "10.0.0.10", Router, "10.0.0.1"))]);

        Assert.Equal(1, _router.Responder.Stats.Consumed);
        Assert.Equal(NeighbourState.Reachable, _router.Neighbour("10.0.0.10")!.State);
        _router.Tick();
        Assert.Single(TakeBytes(_router.Resolver, "lan"));
    }

    [Theory]
    [InlineData("truncated", 30)]
    [InlineData("bad_hardware", 14)]
    [InlineData("bad_hardware", 18)]
    [InlineData("bad_protocol", 16)]
    [InlineData("bad_protocol", 19)]
    [InlineData("bad_operation", 21)]
    public void DropsMalformedArpWithItsReason(string reason, int corrupt)
    {
        byte[] frame = Request(Host, "10.0.0.10", "10.0.0.1");
        Packet packet;
        if (reason == "truncated")
        {
            packet = _router.ArpIn(Lan, frame.AsSpan(0, corrupt).ToArray());
        }
        else
        {
            frame[corrupt] ^= 0x40;
            packet = _router.ArpIn(Lan, frame);
        }

        _router.Responder.Process([packet]);

        Assert.Equal(1, _router.Responder.Stats.DroppedFor(reason));
        Assert.Equal(1, _router.Responder.Stats.DroppedTotal);
        Assert.Equal(0, _router.Table.Count);
    }

    [Theory]
    [InlineData("bad_sender_mac", "01:00:5e:00:00:01", "10.0.0.10")]
    [InlineData("bad_sender_address", "02:00:00:00:00:0a", "224.0.0.1")]
    [InlineData("bad_sender_address", "02:00:00:00:00:0a", "10.0.0.255")]
    public void DropsArpFromANonHostSender(string reason, string mac, string address)
    {
        MacAddress sender = Mac(mac);
        _router.Responder.Process([_router.ArpIn(Lan, Request(sender, address, "10.0.0.1"))]);

        Assert.Equal(1, _router.Responder.Stats.DroppedFor(reason));
        Assert.Equal(0, _router.Table.Count);
    }

    [Fact]
    public void DropsArpFromAPortThatIsNoInterface()
    {
        _router.Responder.Process([_router.ArpIn(7, Request(Host, "10.0.0.10", "10.0.0.1"))]);

        Assert.Equal(1, _router.Responder.Stats.DroppedFor("unknown_port"));
    }

    [Fact]
    public void AnnouncesEveryInterfaceAddressByGratuitousArpOnTheFirstTickOnly()
    {
        _router.Tick();
        _router.Advance(TimeSpan.FromSeconds(5));
        _router.Tick();

        byte[] lan = Assert.Single(TakeBytes(_router.Responder, "lan"));
        List<byte[]> wan = TakeBytes(_router.Responder, "wan");
        Assert.Equal("ff:ff:ff:ff:ff:ff 1 10.0.0.1 10.0.0.1 02:00:00:00:01:01", Fields(lan));
        Assert.Equal(["ff:ff:ff:ff:ff:ff 1 192.0.2.1 192.0.2.1 02:00:00:00:02:01", "ff:ff:ff:ff:ff:ff 1 203.0.113.1 203.0.113.1 02:00:00:00:02:01"],
            wan.Select(Fields));
        Assert.Equal(3, _router.Arp.GratuitousSent);
    }

    [Fact]
    public void AnnouncesOnlyTheNewAddressAfterAnAddressChange()
    {
        _router.Tick();
        TakeBytes(_router.Responder, "lan");
        TakeBytes(_router.Responder, "wan");
        IReadOnlyList<RouterInterfaceOptions> changed = [Interfaces()[0] with { Addresses = ["10.0.0.1/24", "10.0.1.1/24"] }, Interfaces()[1]];

        _router.Arp.SetInterfaces(RouterInterfaceTable.Create(changed));
        _router.Tick();

        Assert.Equal(["ff:ff:ff:ff:ff:ff 1 10.0.1.1 10.0.1.1 02:00:00:00:01:01"], TakeBytes(_router.Responder, "lan").Select(Fields));
        Assert.Empty(_router.Responder.Output("wan"));
    }

    [Fact]
    public void DefaultsAreGroutsTimersAndRfc1122sRequestRate()
    {
        var options = new ArpResponderOptions();

        Assert.Equal(TimeSpan.FromMinutes(20), options.ReachableTime);
        Assert.Equal(TimeSpan.FromSeconds(1), options.ProbeInterval);
        Assert.Equal(3, options.UnicastProbes);
        Assert.Equal(3, options.BroadcastProbes);
        Assert.Equal(TimeSpan.FromSeconds(60), options.FailedTime);
        Assert.Equal(256, options.MaxHeldPerNeighbour);
        Assert.Equal(4096, options.MaxHeldPackets);
        Assert.Equal(1024, options.MaxNeighbours);
    }

    [Fact]
    public void RefusesAProbeIntervalUnderOneSecondAndNamesIt()
    {
        var error = Assert.Throws<RouterConfigurationException>(() =>
            new NeighbourTable().Configure(new ArpResponderOptions { ProbeInterval = TimeSpan.FromMilliseconds(200), MaxHeldPerNeighbour = 300 }));

        Assert.Contains("ProbeInterval 00:00:00.2000000 is out of range", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxHeldPerNeighbour 300 is out of range 1 to 256", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Ethernet destination, ARP operation, sender address, target address, sender MAC.</summary>
    internal static string Fields(byte[] frame) =>
        $"{new MacAddress(frame.AsSpan(0, 6))} {BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(20))} {new Protocols.Ipv4.Ipv4Address(frame.AsSpan(28, 4))} "
        + $"{new Protocols.Ipv4.Ipv4Address(frame.AsSpan(38, 4))} {new MacAddress(frame.AsSpan(22, 6))}";
}
