using Flow.Stages.Ipv4;
using Flow.Stages.Nat;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Nat;

/// <summary>
/// Two WANs with a NAT each ("source in, source out"): a conversation leaves by the WAN whose NAT
/// translates it, whatever the routing table says, and from that WAN's address; new ones by the
/// route. Each case runs with the two nat_out stages chained both ways round.
/// </summary>
public sealed class DualWanTests
{
    private const string Remote = "198.51.100.7";

    private static byte[] Udp(string src, int sport, string dst, int dport, string to = "L") =>
        ScapyOne($"Ether(src=H, dst={to})/IP(src='{src}', dst='{dst}', ttl=63)/UDP(sport={sport}, dport={dport})/Raw(b'payload-0123456789')");

    private static byte[] Tcp(string src, int sport, string dst, int dport, string flags, string to = "L") =>
        ScapyOne($"Ether(src=H, dst={to})/IP(src='{src}', dst='{dst}', ttl=63)/TCP(sport={sport}, dport={dport}, flags='{flags}', seq=1000)");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ANewConversationLeavesByItsRouteFromThatWansAddressAndTheOtherNatLeavesItAlone(bool wan2First)
    {
        using var rig = new DualWanRig(wan2First);
        (byte[] frame, ushort port, string gateway) = rig.Send(Udp("10.0.0.10", 40000, Remote, 53))!.Value;
        Assert.Equal((DualWanRig.External, 40000, Remote, 53), NatRig.Endpoints(frame));
        Assert.True(NatRig.ChecksumsValid(frame));
        Assert.Equal((Wan, "192.0.2.2"), (port, gateway));
        Assert.Equal((1, 0), (rig.Outbound.Table.SessionCount, rig.Outbound2.Table.SessionCount));
        Assert.Equal(0, rig.Outbound2.Table.Counters.Steered + rig.Outbound.Table.Counters.Steered);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AConnectionThatCameInByWan2AnswersByWan2ThoughTheDefaultRouteIsWan(bool wan2First)
    {
        using var rig = new DualWanRig(wan2First, wan2: new NatOptions { PortMappings = [new() { Protocol = "tcp", ExternalPort = 8080, Internal = "10.0.0.20:8000" }] });
        byte[] syn = ScapyOne($"Ether(dst='02:00:00:00:03:01')/IP(src='{Remote}', dst='{DualWanRig.External2}')/TCP(sport=33333, dport=8080, flags='S')");
        byte[] inside = rig.Receive(syn, DualWanRig.Wan2)!;
        Assert.Equal((Remote, 33333, "10.0.0.20", 8000), NatRig.Endpoints(inside));

        (byte[] frame, ushort port, string gateway) = rig.Send(Tcp("10.0.0.20", 8000, Remote, 33333, "SA"))!.Value;
        Assert.Equal((DualWanRig.External2, 8080, Remote, 33333), NatRig.Endpoints(frame));
        Assert.True(NatRig.ChecksumsValid(frame));
        Assert.Equal((DualWanRig.Wan2, DualWanRig.Gateway2), (port, gateway));
        Assert.Equal(NatSessionState.Established, rig.Outbound2.Table.Session(0).State);
        Assert.Equal(0, rig.Outbound.Table.SessionCount);
        Assert.Equal(1, rig.Outbound2.Table.Counters.Steered);

        // The rest of the connection too; a new one from the same host still takes the route.
        (byte[] ack, ushort ackPort, _) = rig.Send(Tcp("10.0.0.20", 8000, Remote, 33333, "A"))!.Value;
        Assert.Equal((DualWanRig.External2, 8080, DualWanRig.Wan2), (NatRig.Endpoints(ack).Source, NatRig.Endpoints(ack).SourcePort, ackPort));
        (byte[] other, ushort otherPort, _) = rig.Send(Udp("10.0.0.20", 8000, Remote, 53))!.Value;
        Assert.Equal((DualWanRig.External, Wan), (NatRig.Endpoints(other).Source, otherPort));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ADatagramThroughWan2sPortMappingIsAnsweredByWan2AndItsErrorsToo(bool wan2First)
    {
        using var rig = new DualWanRig(wan2First, wan2: new NatOptions { PortMappings = [new() { Protocol = "udp", ExternalPort = 5353, Internal = "10.0.0.20:53" }] });
        byte[] query = ScapyOne($"Ether(dst='02:00:00:00:03:01')/IP(src='{Remote}', dst='{DualWanRig.External2}')/UDP(sport=40001, dport=5353)/Raw(b'q')");
        Assert.Equal((Remote, 40001, "10.0.0.20", 53), NatRig.Endpoints(rig.Receive(query, DualWanRig.Wan2)!));
        Assert.Equal(1, rig.Outbound2.Table.SessionCount);

        (byte[] answer, ushort port, string gateway) = rig.Send(Udp("10.0.0.20", 53, Remote, 40001))!.Value;
        Assert.Equal((DualWanRig.External2, 5353, Remote, 40001), NatRig.Endpoints(answer));
        Assert.Equal((DualWanRig.Wan2, DualWanRig.Gateway2), (port, gateway));

        // The host's port unreachable about a later datagram: translated by wan2's NAT, sent by wan2.
        byte[] error = ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.20', dst='" + Remote + "')/ICMP(type=3, code=3)/" +
            $"IP(src='{Remote}', dst='10.0.0.20', ttl=61)/UDP(sport=40001, dport=53)/Raw(b'q')");
        (byte[] sent, ushort errorPort, _) = rig.Send(error)!.Value;
        Assert.Equal(DualWanRig.Wan2, errorPort);
        Assert.Equal($"('{DualWanRig.External2}', '{DualWanRig.External2}', 5353)", Dissect(sent, "(p[IP].src, p[IPerror].dst, p[UDPerror].dport)"));
        Assert.True(NatRig.ChecksumsValid(sent));
        Assert.Equal(0, rig.Outbound.Table.SessionCount);
    }

    [Fact]
    public void APacketFromWanToWan2sAddressIsNotHairpinned()
    {
        using var rig = new DualWanRig(wan2: new NatOptions { PortMappings = [new() { Protocol = "udp", ExternalPort = 5353, Internal = "10.0.0.20:53" }] });
        byte[] query = ScapyOne($"Ether(dst=W)/IP(src='{Remote}', dst='{DualWanRig.External2}')/UDP(sport=40001, dport=5353)/Raw(b'q')");
        Assert.Equal((Remote, 40001, "10.0.0.20", 53), NatRig.Endpoints(rig.Receive(query, Wan)!));
        Assert.Equal(0, rig.Outbound.Table.SessionCount + rig.Outbound2.Table.Counters.Hairpinned);
        // From the lan it is hairpinned: the mapped host sees the sender at wan2's address.
        byte[] fromInside = Udp("10.0.0.10", 40002, DualWanRig.External2, 5353);
        Assert.Equal((DualWanRig.External2, 40002, "10.0.0.20", 53), NatRig.Endpoints(rig.Receive(fromInside, Lan)!));
    }

    [Fact]
    public void WithoutAGatewayAConversationRoutedOutTheOtherWanIsDroppedAndCounted()
    {
        using var rig = new DualWanRig(wan2: new NatOptions { PortMappings = [new() { Protocol = "tcp", ExternalPort = 8080, Internal = "10.0.0.20:8000" }] }, wan2Gateway: false);
        byte[] syn = ScapyOne($"Ether(dst='02:00:00:00:03:01')/IP(src='{Remote}', dst='{DualWanRig.External2}')/TCP(sport=33333, dport=8080, flags='S')");
        Assert.NotNull(rig.Receive(syn, DualWanRig.Wan2));
        Assert.Null(rig.Send(Tcp("10.0.0.20", 8000, Remote, 33333, "SA")));
        Assert.Equal(1, rig.Out.Stats.DroppedFor("no_return_route") + rig.Out2.Stats.DroppedFor("no_return_route"));
        Assert.Equal(0, rig.Outbound.Table.SessionCount);
    }

    [Fact]
    public void AWanAddressedByDhcpSendsItsConversationsBackByTheRouterItsLeaseNamed()
    {
        using var rig = new DualWanRig(wan2: new NatOptions { PortMappings = [new() { Protocol = "tcp", ExternalPort = 8080, Internal = "10.0.0.20:8000" }] },
            wan2Gateway: false, wan2Dhcp: true);
        rig.Book.Set("wan2", new InterfaceAddressBook.LearnedAddress(0x6440_0001, 24, [], Router: 0x6440_00FE));
        rig.Out2.Tick(rig.Clock.NowNanoseconds);
        Assert.Equal(DualWanRig.Gateway2, rig.Outbound2.Gateway);
        byte[] syn = ScapyOne($"Ether(dst='02:00:00:00:03:01')/IP(src='{Remote}', dst='{DualWanRig.External2}')/TCP(sport=33333, dport=8080, flags='S')");
        Assert.NotNull(rig.Receive(syn, DualWanRig.Wan2));
        (byte[] frame, ushort port, string gateway) = rig.Send(Tcp("10.0.0.20", 8000, Remote, 33333, "SA"))!.Value;
        Assert.Equal((DualWanRig.External2, 8080), (NatRig.Endpoints(frame).Source, NatRig.Endpoints(frame).SourcePort));
        Assert.Equal((DualWanRig.Wan2, DualWanRig.Gateway2), (port, gateway));

        // A new lease names another router: the next reply goes by it.
        rig.Book.Set("wan2", new InterfaceAddressBook.LearnedAddress(0x6440_0001, 24, [], Router: 0x6440_00FD));
        rig.Out2.Tick(rig.Clock.NowNanoseconds);
        Assert.Equal("100.64.0.253", rig.Send(Tcp("10.0.0.20", 8000, Remote, 33333, "A"))!.Value.Gateway);
    }

    [Fact]
    public void AGatewayOffTheOutsideNetworkAndTwoNatsOnOneInterfaceAreRefused()
    {
        IReadOnlyList<RouterInterfaceOptions> interfaces = Interfaces();
        var offNetwork = Assert.Throws<RouterConfigurationException>(() =>
            new NatInbound(new NatOptions { Interfaces = interfaces, Gateway = "10.0.0.2" }, new NatTables(), new Flow.TestKit.ManualClock()));
        Assert.Contains("gateway", offNetwork.Message, StringComparison.Ordinal);
        using var tables = new NatTables();
        _ = new NatInbound(new NatOptions { Interfaces = interfaces }, tables, new Flow.TestKit.ManualClock());
        var twice = Assert.Throws<RouterConfigurationException>(() =>
            new NatInbound(new NatOptions { Interfaces = interfaces, Table = "other" }, tables, new Flow.TestKit.ManualClock()));
        Assert.Contains("both translate on port 1", twice.Message, StringComparison.Ordinal);
    }
}
