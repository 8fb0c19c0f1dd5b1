using Flow.Stages.Ethernet;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.Stages.Tests.Switching;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Ipv4;

/// <summary>
/// The router's stages chained in a running graph, with a stand-in for the route lookup that
/// gives every packet next hop 1, fed scapy frames and checked at every exit:
/// <code>
///  wire ─ eth_classify ─┬─ arp ───────────────────────────────────────────────── arp_out
///                       └─ ipv4 ─ ipv4_input ─┬─ local ─ icmp_echo ─┬─ reply ──── replies
///                                             │                     └─ other ─ ipv4_local ─┬─ icmp ─────────── local_icmp
///                                             │                                            ├─ udp ──────────── local_udp
///                                             │                                            └─ unreachable ───┐
///                                             └─ forward ─ next_hop ─ ipv4_forward ─┬─ forwarded ─ forwarded │
///                                                                                   └─ time_exceeded ─ icmp_error ─ errors
/// </code>
/// </summary>
public sealed class RouterPathGraphTests
{
    [Fact]
    public async Task EachFrameLeavesWhereTheRouterSendsItAndEveryOtherIsDroppedWithItsReason()
    {
        IReadOnlyList<RouterInterfaceOptions> interfaces = Interfaces();
        byte[][] frames = Scapy("[" +
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(id=9, seq=1)/Raw(b'hello')," +                        // 0 echo
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=64)/UDP(dport=53)/Raw(b'q'*20)," +               // 1 transit
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=1)/UDP(sport=50000, dport=33434)," +               // 2 TTL 1
            "Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/ARP(psrc='10.0.0.10', pdst='10.0.0.1')," +                                     // 3 arp
            "Ether(src=H, dst='02:00:00:00:00:99')/IP(src='10.0.0.10', dst='198.51.100.10')/ICMP()," +                           // 4 other host
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', chksum=1)/ICMP()," +                                   // 5 bad checksum
            "Ether(src=H, dst='01:00:5e:00:00:05')/IP(src='10.0.0.10', dst='224.0.0.5', ttl=1)/UDP()," +                          // 6 multicast
            "Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='10.0.0.10', dst='198.51.100.10', ttl=1)/UDP()," +                      // 7 link broadcast
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/UDP(dport=5000)," +                                         // 8 local UDP
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=5)/ICMP()/Padding(load=b'\\0'*18)," +              // 9 padded
            "Ether(src=H, dst=L)/IP(src='127.0.0.1', dst='198.51.100.10', ttl=1)/UDP()," +                                       // 10 martian
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=1)/ICMP(type=3, code=3)/IPerror()/UDPerror()," +   // 11 about an error
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/UDP(sport=68, dport=67)," +                                 // 12 served UDP
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/GRE()," +                                                   // 13 no such protocol
            "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1')/ICMP(type=0)," +                                            // 14 an echo reply for us
            "]");
        var arp = new CaptureSink();
        var replies = new CaptureSink();
        var forwarded = new CaptureSink();
        var errors = new CaptureSink();
        var localIcmp = new CaptureSink();
        var localUdp = new CaptureSink();
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("wire", new FrameListSource([.. frames.Select(f => (Lan, f))]))
            .Add("eth_classify", new EtherClassifier(new EtherClassifierOptions { Interfaces = interfaces }))
            .Add("ipv4_input", new Ipv4Validator(new Ipv4ValidatorOptions { Interfaces = interfaces }))
            .Add("icmp_echo", new IcmpEchoResponder(new IcmpEchoResponderOptions { Interfaces = interfaces }))
            .Add("ipv4_local", new Ipv4LocalDemux(new Ipv4LocalDemuxOptions { UdpPorts = [67] }))
            .Add("next_hop", new FixedNextHop())
            .Add("ipv4_forward", new Ipv4Forwarder())
            .Add("icmp_error", new IcmpErrorSender(new IcmpErrorSenderOptions { Interfaces = interfaces }, new ManualClock()))
            .Add("arp_out", arp).Add("replies", replies).Add("forwarded", forwarded).Add("errors", errors)
            .Add("local_icmp", localIcmp).Add("local_udp", localUdp)
            .Connect("wire", "eth_classify")
            .Connect("eth_classify:arp", "arp_out")
            .Connect("eth_classify:ipv4", "ipv4_input")
            .Connect("ipv4_input:local", "icmp_echo")
            .Connect("icmp_echo:reply", "replies")
            .Connect("icmp_echo:other", "ipv4_local")
            .Connect("ipv4_local:icmp", "local_icmp")
            .Connect("ipv4_local:udp", "local_udp")
            .Connect("ipv4_local:unreachable", "icmp_error")
            .Connect("ipv4_input:forward", "next_hop")
            .Connect("next_hop", "ipv4_forward")
            .Connect("ipv4_forward:forwarded", "forwarded")
            .Connect("ipv4_forward:time_exceeded", "icmp_error")
            .Connect("icmp_error", "errors");
        using FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());

        Assert.Equal(1, stats.Stage("eth_classify").DroppedFor("other_host"));
        StageStats input = stats.Stage("ipv4_input");
        Assert.Equal((1L, 1L, 1L, 1L), (input.DroppedFor("bad_checksum"), input.DroppedFor("multicast"), input.DroppedFor("link_broadcast"), input.DroppedFor("martian_source")));
        Assert.Equal(1, stats.Stage("icmp_error").DroppedFor("about_icmp_error"));
        Assert.Equal(frames[12], Assert.Single(localUdp.Frames));
        Assert.Equal(frames[14], Assert.Single(localIcmp.Frames));

        Assert.Equal(frames[3], Assert.Single(arp.Frames));
        Assert.Equal($"{HostMac} {LanMac} 10.0.0.1 10.0.0.10 0 9 1 b'hello' True",
            Dissect(Assert.Single(replies.Frames), "p.dst, p.src, p[IP].src, p[IP].dst, p[ICMP].type, p[ICMP].id, p[ICMP].seq, bytes(p[ICMP].payload), p[ICMP].chksum == ICMP(bytes(p[ICMP].copy())).chksum"));

        Assert.Equal(2, forwarded.Count);
        byte[] transit = forwarded.Frames.Single(f => f.Length == frames[1].Length);
        Assert.Equal(63, transit[22]);
        Assert.True(HeaderChecksumIsValid(transit));
        byte[] padded = forwarded.Frames.Single(f => f != transit);
        Assert.Equal((14 + 28, 4), (padded.Length, (int)padded[22]));
        Assert.True(HeaderChecksumIsValid(padded));

        Assert.Equal(3, errors.Count);
        string[] dissected = [.. errors.Frames.Select(e => Dissect(e, "p[IP].src, p[IP].dst, p[ICMP].type, p[ICMP].code, p[IPerror].src, p[IPerror].dst, p[IPerror].proto"))];
        Assert.Contains("10.0.0.1 10.0.0.10 11 0 10.0.0.10 198.51.100.10 17", dissected);   // TTL 1 in transit
        Assert.Contains("10.0.0.1 10.0.0.10 3 3 10.0.0.10 10.0.0.1 17", dissected);         // UDP 5000 on the router
        Assert.Contains("10.0.0.1 10.0.0.10 3 2 10.0.0.10 10.0.0.1 47", dissected);         // GRE to the router
    }

    /// <summary>Stands in for ipv4_lookup: every packet gets next hop 1.</summary>
    [Stage("fixed_next_hop", "Test stage writing next hop 1 into every packet.")]
    private sealed class FixedNextHop : Stage<FixedNextHop.Output, NoDrop>
    {
        public enum Output : byte
        {
            [Port(typeof(Carries.Ipv4), "every packet, NextHop 1")]
            Out,
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                packets[i].Meta.NextHop = 1;
                nexts[i] = To(Output.Out);
            }
        }
    }
}
