using Flow.Stages.Icmp;
using Flow.Stages.Nat;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Nat;

/// <summary>
/// nat_out and nat_in on scapy-built frames: sources become the external address with the port
/// preserved or drawn by the RFC 4787 rules, replies find their way back, every checksum stays
/// right, ICMP errors are translated outer and inner, and the filters admit whom they should.
/// </summary>
public sealed class NatTranslationTests
{
    private const string Remote = "198.51.100.7";

    private static byte[] Udp(string src, int sport, string dst, int dport, string mac = "H", string to = "L") =>
        ScapyOne($"Ether(src={mac}, dst={to})/IP(src='{src}', dst='{dst}', ttl=63)/UDP(sport={sport}, dport={dport})/Raw(b'payload-0123456789')");

    private static byte[] Tcp(string src, int sport, string dst, int dport, string flags) =>
        ScapyOne($"Ether(src=H, dst=L)/IP(src='{src}', dst='{dst}', ttl=63)/TCP(sport={sport}, dport={dport}, flags='{flags}', seq=1000)");

    [Fact]
    public void AnOutboundDatagramLeavesFromTheExternalAddressWithItsPortAndTheReplyComesBack()
    {
        using var rig = new NatRig();
        byte[] sent = rig.Send(Udp("10.0.0.10", 40000, Remote, 53))!;
        Assert.Equal((NatRig.External, 40000, Remote, 53), NatRig.Endpoints(sent));
        Assert.True(NatRig.ChecksumsValid(sent));
        Assert.Equal("b'payload-0123456789'", Dissect(sent, "bytes(p[UDP].payload)"));

        byte[] reply = rig.Receive(Udp(Remote, 53, NatRig.External, 40000, mac: "'02:00:00:00:00:99'", to: "W"))!;
        Assert.Equal((Remote, 53, "10.0.0.10", 40000), NatRig.Endpoints(reply));
        Assert.True(NatRig.ChecksumsValid(reply));
        Assert.Equal(1, rig.Table.SessionCount);
        Assert.Equal(1, rig.Table.Counters.Outbound);
        Assert.Equal(1, rig.Table.Counters.Inbound);
    }

    [Fact]
    public void TwoHostsOnOnePortGetTwoExternalPortsOfTheSameRangeAndParity()
    {
        using var rig = new NatRig();
        var ports = new HashSet<int>();
        foreach ((string host, int port) in new[] { ("10.0.0.10", 40001), ("10.0.0.11", 40001), ("10.0.0.12", 40001), ("10.0.0.13", 123), ("10.0.0.14", 123) })
        {
            (_, int external, _, _) = NatRig.Endpoints(rig.Send(Udp(host, port, Remote, 53))!);
            Assert.True(ports.Add(external), $"external port {external} given twice");
            Assert.Equal(port & 1, external & 1);
            Assert.Equal(port < 1024, external < 1024);
        }
        Assert.Contains(40001, ports);
        Assert.Contains(123, ports);
    }

    [Theory]
    [InlineData(NatMapping.EndpointIndependent, true)]
    [InlineData(NatMapping.AddressAndPortDependent, false)]
    public void OneEndpointToTwoRemotesKeepsItsExternalPortOnlyWithEndpointIndependentMapping(NatMapping mapping, bool same)
    {
        using var rig = new NatRig(new NatOptions { Mapping = mapping });
        (_, int first, _, _) = NatRig.Endpoints(rig.Send(Udp("10.0.0.10", 40000, Remote, 53))!);
        (_, int second, _, _) = NatRig.Endpoints(rig.Send(Udp("10.0.0.10", 40000, "203.0.113.200", 53))!);
        Assert.Equal(same, first == second);
        Assert.Equal(same ? 1 : 2, rig.Table.MappingCount);
    }

    [Theory]
    [InlineData(NatFiltering.EndpointIndependent, true, true)]
    [InlineData(NatFiltering.AddressDependent, true, false)]
    [InlineData(NatFiltering.AddressAndPortDependent, false, false)]
    public void TheFilterAdmitsRemotesAsItsBehaviourSays(NatFiltering filtering, bool samAddressOtherPort, bool otherAddress)
    {
        using var rig = new NatRig(new NatOptions { Filtering = filtering });
        rig.Send(Udp("10.0.0.10", 40000, Remote, 53));
        byte[]? fromOtherPort = rig.Receive(Udp(Remote, 54, NatRig.External, 40000, to: "W"));
        byte[]? fromOtherAddress = rig.Receive(Udp("198.51.100.8", 53, NatRig.External, 40000, to: "W"));
        Assert.Equal(samAddressOtherPort, fromOtherPort is not null);
        Assert.Equal(otherAddress, fromOtherAddress is not null);
        Assert.Equal((samAddressOtherPort ? 0 : 1) + (otherAddress ? 0 : 1), rig.In.Stats.DroppedFor("filtered"));
    }

    [Fact]
    public void TcpSessionsStartOnlyWithAnOutboundSynAndFollowTheHandshake()
    {
        using var rig = new NatRig();
        Assert.Null(rig.Send(Tcp("10.0.0.10", 45000, Remote, 80, "A")));
        Assert.Equal(1, rig.Out.Stats.DroppedFor("no_session"));
        Assert.NotNull(rig.Send(Tcp("10.0.0.10", 45000, Remote, 80, "S")));
        Assert.Equal(NatSessionState.SynOutbound, rig.Table.Session(0).State);
        byte[] synAck = ScapyOne($"Ether(dst=W)/IP(src='{Remote}', dst='{NatRig.External}')/TCP(sport=80, dport=45000, flags='SA', seq=5000, ack=1001)");
        byte[] back = rig.Receive(synAck)!;
        Assert.Equal((Remote, 80, "10.0.0.10", 45000), NatRig.Endpoints(back));
        Assert.True(NatRig.ChecksumsValid(back));
        Assert.Equal(NatSessionState.Established, rig.Table.Session(0).State);
        rig.Send(Tcp("10.0.0.10", 45000, Remote, 80, "FA"));
        rig.Receive(ScapyOne($"Ether(dst=W)/IP(src='{Remote}', dst='{NatRig.External}')/TCP(sport=80, dport=45000, flags='FA')"));
        Assert.Equal(NatSessionState.Closing, rig.Table.Session(0).State);
        // Closing sessions live the transitory time (240 s), not the established one.
        rig.Clock.Advance(TimeSpan.FromSeconds(241));
        rig.Out.Tick(rig.Clock.NowNanoseconds);
        Assert.Equal(0, rig.Table.SessionCount);
    }

    [Fact]
    public void AnUnsolicitedSynIsDroppedSilentlyNotAnsweredByTheRouter()
    {
        using var rig = new NatRig();
        byte[] syn = ScapyOne($"Ether(dst=W)/IP(src='{Remote}', dst='{NatRig.External}')/TCP(sport=5555, dport=22, flags='S')");
        Assert.Null(rig.Receive(syn, output: "local"));
        Assert.Equal(1, rig.In.Stats.DroppedFor("unsolicited_tcp"));
    }

    [Fact]
    public void UdpSessionsExpireAfterTheirTimeoutRefreshedByOutboundTrafficOnly()
    {
        using var rig = new NatRig();
        rig.Send(Udp("10.0.0.10", 40000, Remote, 53));
        rig.Clock.Advance(TimeSpan.FromSeconds(200));
        rig.Receive(Udp(Remote, 53, NatRig.External, 40000, to: "W"));
        rig.Clock.Advance(TimeSpan.FromSeconds(101));
        rig.Out.Tick(rig.Clock.NowNanoseconds);
        Assert.Equal(0, rig.Table.SessionCount);
        Assert.Equal(0, rig.Table.MappingCount);

        rig.Send(Udp("10.0.0.10", 40000, Remote, 53));
        rig.Clock.Advance(TimeSpan.FromSeconds(200));
        rig.Send(Udp("10.0.0.10", 40000, Remote, 53));
        rig.Clock.Advance(TimeSpan.FromSeconds(200));
        rig.Out.Tick(rig.Clock.NowNanoseconds);
        Assert.Equal(1, rig.Table.SessionCount);
        Assert.Equal(1, rig.Table.SessionsExpired);
    }

    [Fact]
    public void EchoRequestsMapByIdentifierAndTheirRepliesComeBack()
    {
        using var rig = new NatRig();
        byte[] request = ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='{Remote}')/ICMP(type=8, id=777, seq=1)/Raw(b'ping')");
        byte[] sent = rig.Send(request)!;
        (string src, int id, _, _) = NatRig.Endpoints(sent);
        Assert.Equal((NatRig.External, 777), (src, id));
        Assert.True(NatRig.ChecksumsValid(sent));
        byte[] reply = ScapyOne($"Ether(dst=W)/IP(src='{Remote}', dst='{NatRig.External}')/ICMP(type=0, id=777, seq=1)/Raw(b'ping')");
        byte[] back = rig.Receive(reply)!;
        Assert.Equal(("10.0.0.10", 777), (NatRig.Endpoints(back).Destination, NatRig.Endpoints(back).DestinationPort));
        Assert.True(NatRig.ChecksumsValid(back));
        // An echo request to the external address is the router's own to answer.
        byte[] ping = ScapyOne($"Ether(dst=W)/IP(src='{Remote}', dst='{NatRig.External}')/ICMP(type=8, id=777, seq=1)");
        Assert.NotNull(rig.Receive(ping, output: "local"));
    }

    [Fact]
    public void AnIcmpErrorAboutATranslatedDatagramIsTranslatedOuterAndInnerWithoutRefreshing()
    {
        using var rig = new NatRig();
        rig.Send(Udp("10.0.0.10", 40000, Remote, 53));
        long lastUsed = rig.Table.Session(0).LastUsed;
        rig.Clock.Advance(TimeSpan.FromSeconds(10));
        byte[] error = ScapyOne($"Ether(dst=W)/IP(src='203.0.113.9', dst='{NatRig.External}')/ICMP(type=3, code=3)/" +
            $"IP(src='{NatRig.External}', dst='{Remote}', ttl=62)/UDP(sport=40000, dport=53)/Raw(b'payload-0123456789')");
        byte[] back = rig.Receive(error)!;
        Assert.True(NatRig.ChecksumsValid(back));
        Assert.Equal("('10.0.0.10', '10.0.0.10', 40000)", Dissect(back, "(p[IP].dst, p[IPerror].src, p[UDPerror].sport)"));
        // The quoted datagram is whole here: its own header and UDP checksums must hold too.
        Assert.True(NatRig.ChecksumsValid([.. back.AsSpan(0, 14), .. back.AsSpan(14 + 20 + 8)]), "the quoted packet's checksums are wrong");
        Assert.Equal(lastUsed, rig.Table.Session(0).LastUsed);
        // An error quoting nothing of ours is the router's own.
        byte[] stray = ScapyOne($"Ether(dst=W)/IP(src='203.0.113.9', dst='{NatRig.External}')/ICMP(type=3, code=3)/" +
            $"IP(src='{NatRig.External}', dst='{Remote}')/UDP(sport=41000, dport=53)");
        Assert.NotNull(rig.Receive(stray, output: "local"));
    }

    [Fact]
    public void AnErrorAHostInsideSendsAboutAnInboundDatagramLeavesFromTheExternalEndpoint()
    {
        using var rig = new NatRig();
        rig.Send(Udp("10.0.0.10", 40000, Remote, 53));
        byte[] error = ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='{Remote}')/ICMP(type=3, code=3)/" +
            $"IP(src='{Remote}', dst='10.0.0.10', ttl=61)/UDP(sport=53, dport=40000)/Raw(b'answer')");
        byte[] sent = rig.Send(error)!;
        Assert.True(NatRig.ChecksumsValid(sent));
        Assert.Equal($"('{NatRig.External}', '{NatRig.External}', 40000)", Dissect(sent, "(p[IP].src, p[IPerror].dst, p[UDPerror].dport)"));
    }

    [Fact]
    public void APortMappingTakesConnectionsFromAnyoneAndItsRepliesLeaveFromTheMappedPort()
    {
        using var rig = new NatRig(new NatOptions { PortMappings = [new() { Protocol = "tcp", ExternalPort = 8080, Internal = "10.0.0.20:8000" }] });
        byte[] syn = ScapyOne($"Ether(dst=W)/IP(src='{Remote}', dst='{NatRig.External}')/TCP(sport=33333, dport=8080, flags='S')");
        byte[] inside = rig.Receive(syn)!;
        Assert.Equal((Remote, 33333, "10.0.0.20", 8000), NatRig.Endpoints(inside));
        Assert.True(NatRig.ChecksumsValid(inside));
        byte[] synAck = rig.Send(Tcp("10.0.0.20", 8000, Remote, 33333, "SA"))!;
        Assert.Equal((NatRig.External, 8080, Remote, 33333), NatRig.Endpoints(synAck));
        Assert.Equal(NatSessionState.Established, rig.Table.Session(0).State);
        // A packet to the mapped port that is not a SYN and has no session is dropped silently.
        byte[] stray = ScapyOne($"Ether(dst=W)/IP(src='198.51.100.50', dst='{NatRig.External}')/TCP(sport=1, dport=8080, flags='A')");
        Assert.Null(rig.Receive(stray));
        Assert.True(rig.Table.RemoveStatic(6, 0xC0000201, 8080));
        Assert.Equal(0, rig.Table.MappingCount);
        Assert.Equal(0, rig.Table.SessionCount);
    }

    [Fact]
    public void HairpinnedDatagramsReachTheMappedHostFromTheSendersExternalEndpoint()
    {
        using var rig = new NatRig(new NatOptions { PortMappings = [new() { Protocol = "udp", ExternalPort = 5000, Internal = "10.0.0.20:5000" }] });
        byte[] fromInside = Udp("10.0.0.10", 40000, NatRig.External, 5000);
        byte[] hairpinned = rig.Receive(fromInside, port: Lan)!;
        Assert.Equal((NatRig.External, 40000, "10.0.0.20", 5000), NatRig.Endpoints(hairpinned));
        Assert.True(NatRig.ChecksumsValid(hairpinned));
        // The mapped host answers the external endpoint it saw; that comes back hairpinned too.
        byte[] answer = ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.20', dst='{NatRig.External}')/UDP(sport=5000, dport=40000)/Raw(b'back')");
        byte[] back = rig.Receive(answer, port: Lan)!;
        Assert.Equal((NatRig.External, 5000, "10.0.0.10", 40000), NatRig.Endpoints(back));
        Assert.Equal(2, rig.Table.Counters.Hairpinned);
    }

    [Fact]
    public void SessionsBeyondTheLimitsAreRefusedWithAdministrativelyProhibited()
    {
        using var rig = new NatRig(new NatOptions { MaxSessions = 3, MaxSessionsPerHost = 2 });
        Assert.NotNull(rig.Send(Udp("10.0.0.10", 40000, Remote, 1)));
        Assert.NotNull(rig.Send(Udp("10.0.0.10", 40000, Remote, 2)));
        Assert.Null(rig.Send(Udp("10.0.0.10", 40000, Remote, 3), output: "out"));
        Packet[] refused = rig.Out.Take("prohibited");
        Assert.Single(refused);
        Assert.Equal(IcmpErrorRequest.AdminProhibited, refused[0].Meta.UserWord);
        PacketPools.Free(refused);
        Assert.NotNull(rig.Send(Udp("10.0.0.11", 40000, Remote, 1)));
        Assert.Null(rig.Send(Udp("10.0.0.12", 40000, Remote, 1), output: "out"));
        PacketPools.Free(rig.Out.Take("prohibited"));
        Assert.Equal((1, 1), (rig.Table.Counters.HostLimit, rig.Table.Counters.TableFull));
    }

    [Fact]
    public void PacketsNotLeavingByTheOutsideOrFromTheRoutersOwnAddressPassUntouched()
    {
        using var rig = new NatRig();
        byte[] toLan = Udp("10.0.0.10", 40000, "10.0.0.11", 53);
        Assert.Equal(toLan, rig.Send(toLan));
        byte[] own = Udp(NatRig.External, 40000, Remote, 53);
        Assert.Equal(own, rig.Send(own));
        Assert.Equal(0, rig.Table.SessionCount);
    }

    [Fact]
    public void ADisabledNatPassesEverything()
    {
        using var rig = new NatRig(new NatOptions { Enabled = false });
        byte[] frame = Udp("10.0.0.10", 40000, Remote, 53);
        Assert.Equal(frame, rig.Send(frame));
        Assert.NotNull(rig.Receive(Udp(Remote, 53, NatRig.External, 40000, to: "W"), output: "local"));
    }

    [Fact]
    public void ASessionIsOneCacheLine()
    {
        Assert.Equal(64, System.Runtime.CompilerServices.Unsafe.SizeOf<NatSession>());
    }

    [Fact]
    public void WithAWanAddressedByDhcpTheNatUsesWhatTheClientLearnedAndStartsOverWhenItChanges()
    {
        var book = new Flow.Stages.Ipv4.InterfaceAddressBook();
        IReadOnlyList<Flow.Stages.Ipv4.RouterInterfaceOptions> interfaces =
            [Interfaces()[0], Interfaces()[1] with { Addresses = [Flow.Stages.Ipv4.RouterInterfaceOptions.DhcpAddress] }];
        using var rig = new NatRig(new NatOptions { PortMappings = [new() { Protocol = "tcp", ExternalPort = 8080, Internal = "10.0.0.20:8000" }] }, interfaces, book);
        rig.Out.Tick(rig.Clock.NowNanoseconds);
        Assert.Null(rig.Send(Udp("10.0.0.10", 40000, Remote, 53)));
        PacketPools.Free(rig.Out.Take("prohibited"));
        Assert.Equal(1, rig.Table.Counters.NoAddress);

        book.Set("wan", new Flow.Stages.Ipv4.InterfaceAddressBook.LearnedAddress(0xCB007132, 24, []));
        rig.Out.Tick(rig.Clock.NowNanoseconds);
        Assert.Equal(("203.0.113.50", 40000), (NatRig.Endpoints(rig.Send(Udp("10.0.0.10", 40000, Remote, 53))!).Source, 40000));
        Assert.True(rig.Table.FindMappingByOutside(0xCB007132, 8080, 6) >= 0, "the port mapping did not move to the learned address");

        book.Set("wan", new Flow.Stages.Ipv4.InterfaceAddressBook.LearnedAddress(0xCB007133, 24, []));
        rig.Out.Tick(rig.Clock.NowNanoseconds);
        Assert.Equal(0, rig.Table.SessionCount);
        Assert.Equal("203.0.113.51", NatRig.Endpoints(rig.Send(Udp("10.0.0.10", 40000, Remote, 53))!).Source);
        Assert.True(rig.Table.FindMappingByOutside(0xCB007133, 8080, 6) >= 0);
        Assert.True(rig.Table.FindMappingByOutside(0xCB007132, 8080, 6) < 0);
    }

    [Fact]
    public void AOneToOneMappedHostUsesItsOwnExternalAddressBothWaysWithoutSessions()
    {
        using var rig = new NatRig(new NatOptions { AddressMappings = [new() { External = "203.0.113.1", Internal = "10.0.0.30" }] });
        byte[] sent = rig.Send(Udp("10.0.0.30", 5000, Remote, 53))!;
        Assert.Equal(("203.0.113.1", 5000, Remote, 53), NatRig.Endpoints(sent));
        Assert.True(NatRig.ChecksumsValid(sent));
        byte[] unsolicited = rig.Receive(Udp("198.51.100.99", 7777, "203.0.113.1", 6000, to: "W"))!;
        Assert.Equal(("198.51.100.99", 7777, "10.0.0.30", 6000), NatRig.Endpoints(unsolicited));
        Assert.True(NatRig.ChecksumsValid(unsolicited));
        byte[] error = ScapyOne($"Ether(dst=W)/IP(src='203.0.113.9', dst='203.0.113.1')/ICMP(type=3, code=3)/" +
            $"IP(src='203.0.113.1', dst='{Remote}')/UDP(sport=5000, dport=53)/Raw(b'payload-0123456789')");
        byte[] back = rig.Receive(error)!;
        Assert.True(NatRig.ChecksumsValid(back));
        Assert.Equal("('10.0.0.30', '10.0.0.30', 5000)", Dissect(back, "(p[IP].dst, p[IPerror].src, p[UDPerror].sport)"));
        Assert.Equal(0, rig.Table.SessionCount);
        // Other hosts still share the pool's address.
        Assert.Equal(NatRig.External, NatRig.Endpoints(rig.Send(Udp("10.0.0.10", 5000, Remote, 53))!).Source);
    }

    [Fact]
    public void HairpinnedDatagramsAndPingsReachAOneToOneHostFromTheSendersExternalEndpoint()
    {
        using var rig = new NatRig(new NatOptions { AddressMappings = [new() { External = "203.0.113.1", Internal = "10.0.0.30" }] });
        // UDP from a host of the pool to the 1:1 address: it arrives from the sender's external endpoint ...
        byte[] there = rig.Receive(Udp("10.0.0.10", 40000, "203.0.113.1", 6000), port: Lan)!;
        Assert.Equal((NatRig.External, 40000, "10.0.0.30", 6000), NatRig.Endpoints(there));
        Assert.True(NatRig.ChecksumsValid(there));
        // ... and the answer, hairpinned too, comes from the 1:1 address (the mapped host's own, ports kept).
        byte[] back = rig.Receive(Udp("10.0.0.30", 6000, NatRig.External, 40000), port: Lan)!;
        Assert.Equal(("203.0.113.1", 6000, "10.0.0.10", 40000), NatRig.Endpoints(back));
        Assert.True(NatRig.ChecksumsValid(back));

        // An ICMP echo the same way (RFC 5508 REQ-7): the request keyed by its identifier, the reply back to the pinger.
        byte[] ping = ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='203.0.113.1')/ICMP(type=8, id=777, seq=1)/Raw(b'ping')");
        byte[] request = rig.Receive(ping, port: Lan)!;
        Assert.True(NatRig.ChecksumsValid(request));
        Assert.Equal($"('{NatRig.External}', '10.0.0.30', 8, 777)", Dissect(request, "(p[IP].src, p[IP].dst, p[ICMP].type, p[ICMP].id)"));
        byte[] pong = ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.30', dst='{NatRig.External}')/ICMP(type=0, id=777, seq=1)/Raw(b'ping')");
        byte[] reply = rig.Receive(pong, port: Lan)!;
        Assert.True(NatRig.ChecksumsValid(reply));
        Assert.Equal("('203.0.113.1', '10.0.0.10', 0, 777)", Dissect(reply, "(p[IP].src, p[IP].dst, p[ICMP].type, p[ICMP].id)"));
        Assert.Equal(4, rig.Table.Counters.Hairpinned);
        // A ping of the pool's address from inside stays the router's to answer.
        Assert.NotNull(rig.Receive(ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='{NatRig.External}')/ICMP(type=8, id=9)"), port: Lan, output: "local"));
    }

    [Fact]
    public void AReloadChangesThePortMappingsLiveAndKeepsTheSessions()
    {
        var options = new NatOptions { PortMappings = [new() { Protocol = "tcp", ExternalPort = 8080, Internal = "10.0.0.20:80" }] };
        using var rig = new NatRig(options);
        Assert.NotNull(rig.Send(Udp("10.0.0.10", 40000, Remote, 53)));
        NatOptions configured = rig.Outbound.Options;
        NatOptions next = configured with { PortMappings = [new() { Protocol = "udp", ExternalPort = 5353, Internal = "10.0.0.21:53" }] };
        var outbound = (IReconfigurableStage)rig.Outbound;
        var inbound = (IReconfigurableStage)rig.Inbound;
        Assert.Null(outbound.CheckReconfigure(next));
        Assert.Null(inbound.CheckReconfigure(next));
        Assert.Equal("only port_mappings change live", outbound.CheckReconfigure(configured with { MaxSessions = 100 }));
        Assert.NotNull(outbound.CheckReconfigure(configured with { PortMappings = [new() { Protocol = "udp", ExternalPort = 5353, Internal = "not-an-address" }] }));

        outbound.Reconfigure(next);
        inbound.Reconfigure(next);

        Assert.True(rig.Table.FindMappingByOutside(0xC0000201, 8080, 6) < 0, "the mapping the config dropped is still there");
        Assert.True(rig.Table.FindMappingByOutside(0xC0000201, 5353, 17) >= 0, "the mapping the config added is missing");
        Assert.Equal(1, rig.Table.SessionCount);
        byte[] mapped = rig.Receive(Udp(Remote, 1234, NatRig.External, 5353, to: "W"))!;
        Assert.Equal((Remote, 1234, "10.0.0.21", 53), NatRig.Endpoints(mapped));
    }

    [Fact]
    public void AOneToOneExternalAddressMustBeTheOutsideInterfacesOwn()
    {
        var tables = new NatTables();
        using var routes = new Flow.Stages.Routing.Ipv4RouteTable();
        var e = Assert.Throws<Flow.Stages.Ipv4.RouterConfigurationException>(() => new NatInbound(
            new NatOptions { Interfaces = Interfaces(), AddressMappings = [new() { External = "198.51.100.77", Internal = "10.0.0.30" }] }, tables, new Flow.TestKit.ManualClock()));
        Assert.Contains("198.51.100.77 is not an address of 'wan'", e.Message, StringComparison.Ordinal);
        tables.Dispose();
    }

    [Fact]
    public void ATracedPacketIsNotedWithItsTranslationBothWays()
    {
        using var rig = new NatRig();
        Packet packet = rig.Pool.Classified(Lan, Udp("10.0.0.10", 40000, Remote, 53));
        packet.Meta.NextHop = NatRig.WanHop(rig);
        rig.Out.Process([packet]);
        Packet[] sent = rig.Out.Take("out");
        Assert.Equal($"10.0.0.10:40000 → {NatRig.External}:40000 (open)", rig.Outbound.TraceNote(sent[0], Next.ToPort(0)));
        PacketPools.Free(sent);

        rig.In.Process([rig.Pool.Classified(Wan, Udp(Remote, 53, NatRig.External, 40000, to: "W"))]);
        Packet[] back = rig.In.Take("translated");
        Assert.Equal($"{NatRig.External}:40000 → 10.0.0.10:40000 (open)", rig.Inbound.TraceNote(back[0], Next.ToPort(0)));
        PacketPools.Free(back);
        rig.In.Process([rig.Pool.Classified(Wan, ScapyOne($"Ether(dst=W)/IP(src='{Remote}', dst='{NatRig.External}')/ICMP(type=8)"))]);
        Packet[] local = rig.In.Take("local");
        Assert.Equal("not the NAT's: for the router", rig.Inbound.TraceNote(local[0], Next.ToPort(1)));
        PacketPools.Free(local);
    }

    [Fact]
    public void ANextHopOutOfTheTableIsNotReadAndThePacketPassesUnchanged()
    {
        using var rig = new NatRig();
        byte[] frame = Udp("10.0.0.10", 40000, Remote, 53);
        Packet packet = rig.Pool.Classified(Lan, frame);
        // What a user's hook stage might leave in NextHop; ipv4_output drops it as no_next_hop.
        packet.Meta.NextHop = uint.MaxValue;
        rig.Out.Process([packet]);
        Packet[] passed = rig.Out.Take("out");
        Assert.Equal(frame, Assert.Single(passed).Data.ToArray());
        PacketPools.Free(passed);
        Assert.Equal(0, rig.Table.SessionCount);
    }
}
