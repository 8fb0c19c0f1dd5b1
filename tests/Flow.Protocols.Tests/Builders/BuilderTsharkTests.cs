using System.Text;
using Flow.Protocols.Arp;
using Flow.Protocols.Dhcp;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Icmpv6;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;
using Flow.Protocols.Tcp;
using Flow.Protocols.Tests.Infrastructure;
using Flow.Protocols.Udp;
using static Flow.Protocols.Tests.Builders.TestFrames;

namespace Flow.Protocols.Tests.Builders;

/// <summary>
/// Everything Flow's builders write is dissected by tshark: no frame may be malformed,
/// every checksum tshark verifies must be good, and the fields must read as intended.
/// </summary>
public sealed class BuilderTsharkTests
{
    private static readonly string[] s_checksumFields =
        ["ip.checksum.status", "udp.checksum.status", "tcp.checksum.status", "icmp.checksum.status", "icmpv6.checksum.status"];

    [Fact]
    public void TsharkDissectsEveryBuiltFrameCleanlyWithGoodChecksumsAndIntendedFields()
    {
        List<(string Name, byte[] Frame, Dictionary<string, string> Fields)> cases = BuildAll();
        string directory = Directory.CreateTempSubdirectory("flow-builders-").FullName;
        try
        {
            string pcap = Path.Combine(directory, "built.pcap");
            Pcap.Write(pcap, cases.Select(c => c.Frame));
            // dhcp.option.type lists codes in wire order; tshark shows the padding after End as a trailing 0.
            string[] fields = ["_ws.malformed", .. s_checksumFields, .. cases.SelectMany(c => c.Fields.Keys).Distinct()];
            var arguments = new List<string>
            {
                "-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,",
                "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            };
            foreach (string field in fields)
            {
                arguments.Add("-e");
                arguments.Add(field);
            }

            string[] lines = ExternalTools.Run(ExternalTools.Tshark, [.. arguments]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(cases.Count, lines.Length);
            var failures = new StringBuilder();
            for (int i = 0; i < cases.Count; i++)
            {
                string[] values = lines[i].Split('\t');
                string Value(string field) => values[Array.IndexOf(fields, field)];
                (string name, _, Dictionary<string, string> expected) = cases[i];
                if (Value("_ws.malformed").Length != 0)
                {
                    failures.AppendLine($"{name}: tshark marks it malformed");
                }

                // A quoted transport header is cut short, so tshark cannot verify it (status 2).
                bool quotes = expected.ContainsKey("icmp.code");
                foreach (string status in s_checksumFields)
                {
                    // 1 = good, 0 = bad, 2 = unverified.
                    string v = Value(status);
                    bool mustVerify = !(quotes && status is "udp.checksum.status" or "tcp.checksum.status");
                    if (v.Split(',').Contains("0") || (mustVerify && v.Length != 0 && !v.StartsWith('1')))
                    {
                        failures.AppendLine($"{name}: {status} = {v}");
                    }
                }

                foreach ((string field, string want) in expected)
                {
                    if (Value(field) != want)
                    {
                        failures.AppendLine($"{name}: {field} = '{Value(field)}', expected '{want}'");
                    }
                }
            }

            Assert.True(failures.Length == 0, failures.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static List<(string, byte[], Dictionary<string, string>)> BuildAll()
    {
        var cases = new List<(string, byte[], Dictionary<string, string>)>();
        byte[] buffer = new byte[2048];
        int written;

        Assert.True(ArpBuilder.TryWriteRequest(buffer, MacA, IpA, IpB, out written));
        byte[] request = buffer[..written];
        cases.Add(("arp-request", request, new() { ["arp.opcode"] = "1", ["arp.src.hw_mac"] = "02:00:00:00:00:0a", ["arp.src.proto_ipv4"] = "192.0.2.1", ["arp.dst.proto_ipv4"] = "198.51.100.7", ["eth.dst"] = "ff:ff:ff:ff:ff:ff" }));

        byte[] reply = (byte[])request.Clone();
        Assert.True(EthernetFrame.TryParse(reply, out EthernetFrame eth));
        Assert.True(ArpPacket.TryParse(eth.Payload, out ArpPacket arp));
        ArpBuilder.WriteReplyInPlace(eth, arp, MacB);
        cases.Add(("arp-reply", reply, new() { ["arp.opcode"] = "2", ["arp.src.hw_mac"] = "02:00:00:00:00:0b", ["arp.src.proto_ipv4"] = "198.51.100.7", ["arp.dst.hw_mac"] = "02:00:00:00:00:0a", ["arp.dst.proto_ipv4"] = "192.0.2.1", ["eth.dst"] = "02:00:00:00:00:0a" }));

        byte[] echoRequest = new byte[EthernetHeader.Size + 84];
        Assert.True(IcmpBuilder.TryWriteEchoRequest(echoRequest.AsSpan(EthernetHeader.Size), IpA, IpB, 0x1234, 7, 56, out written));
        Assert.Equal(84, written);
        cases.Add(("icmp-echo-request", WrapEthernet(MacB, EtherType.Ipv4, echoRequest[EthernetHeader.Size..]), new() { ["icmp.type"] = "8", ["icmp.ident"] = "4660", ["icmp.seq"] = "7", ["ip.len"] = "84", ["ip.ttl"] = "64", ["data.len"] = "56" }));
        Assert.False(IcmpBuilder.TryWriteEchoRequest(echoRequest.AsSpan(0, 60), IpA, IpB, 1, 1, 56, out _));

        byte[] echo = EchoRequest(0x4242, 9, "0123456789abcdef0123456789abcdef"u8);
        Assert.True(EthernetFrame.TryParse(echo, out EthernetFrame echoEth));
        Assert.True(Ipv4Packet.TryParse(echoEth.Payload, out Ipv4Packet echoIp));
        echoEth.Header.SwapAddresses();
        Assert.True(IcmpBuilder.TryTurnEchoRequestIntoReply(echoIp, IpB));
        cases.Add(("icmp-echo-reply", echo, new() { ["icmp.type"] = "0", ["icmp.ident"] = "16962", ["icmp.seq"] = "9", ["ip.src"] = "198.51.100.7", ["ip.dst"] = "192.0.2.1" }));

        byte[] offending = UdpV4(33434, 33435, new byte[600]);
        Assert.True(Ipv4Packet.TryParse(offending.AsSpan(EthernetHeader.Size), out Ipv4Packet offendingIp));
        Assert.True(IcmpBuilder.MayQuoteInError(offendingIp));
        Span<byte> l3 = buffer.AsSpan(EthernetHeader.Size);
        Assert.True(IcmpBuilder.TryWriteTimeExceeded(l3, offendingIp, Router, out written));
        cases.Add(("icmp-time-exceeded", WrapEthernet(MacA, EtherType.Ipv4, l3[..written]), new() { ["icmp.type"] = "11", ["icmp.code"] = "0", ["ip.len"] = "576,628", ["ip.src"] = "10.9.9.9,192.0.2.1", ["ip.dsfield"] = "0xc0,0x00" }));
        Assert.True(IcmpBuilder.TryWriteFragmentationNeeded(l3, offendingIp, 1400, Router, out written));
        cases.Add(("icmp-frag-needed", WrapEthernet(MacA, EtherType.Ipv4, l3[..written]), new() { ["icmp.type"] = "3", ["icmp.code"] = "4", ["icmp.mtu"] = "1400" }));

        byte[] small = UdpV4(5, 6, "tiny"u8);
        Assert.True(Ipv4Packet.TryParse(small.AsSpan(EthernetHeader.Size), out Ipv4Packet smallIp));
        Assert.True(IcmpBuilder.TryWriteDestinationUnreachable(l3, smallIp, IcmpType.CodePortUnreachable, IpB, out written));
        cases.Add(("icmp-port-unreachable", WrapEthernet(MacA, EtherType.Ipv4, l3[..written]), new() { ["icmp.type"] = "3", ["icmp.code"] = "3", ["ip.len"] = "60,32", ["udp.srcport"] = "5" }));

        // The same error written in place over the offending frame (overlapping buffers).
        byte[] inPlace = new byte[EthernetHeader.Size + 28 + small.Length];
        small.CopyTo(inPlace, 0);
        Assert.True(Ipv4Packet.TryParse(inPlace.AsSpan(EthernetHeader.Size, small.Length - EthernetHeader.Size), out Ipv4Packet inPlaceIp));
        Assert.True(IcmpBuilder.TryWriteDestinationUnreachable(inPlace.AsSpan(EthernetHeader.Size), inPlaceIp, IcmpType.CodePortUnreachable, IpB, out written));
        cases.Add(("icmp-port-unreachable-in-place", inPlace[..(EthernetHeader.Size + written)], new() { ["icmp.type"] = "3", ["ip.len"] = "60,32", ["udp.srcport"] = "5" }));

        cases.Add(("udp-v4", UdpV4(1234, 5678, "hello, tshark"u8), new() { ["udp.srcport"] = "1234", ["udp.length"] = "21" }));

        Span<byte> v6 = buffer.AsSpan();
        "flow over v6"u8.CopyTo(v6[(Ipv6Header.Size + UdpHeader.Size)..]);
        Assert.True(UdpBuilder.TryWrite(v6[Ipv6Header.Size..], 546, 547, 12, Ip6A, Ip6B));
        Assert.True(Ipv6Builder.TryWriteHeader(v6, Ip6A, Ip6B, IpProtocol.Udp, UdpHeader.Size + 12, 64));
        cases.Add(("udp-v6", WrapEthernet(MacB, EtherType.Ipv6, v6[..(Ipv6Header.Size + 20)]), new() { ["udp.srcport"] = "546", ["ipv6.src"] = "2001:db8::1" }));

        byte[] mss = [2, 4, 0x05, 0xb4, 1, 3, 3, 7];
        var syn = new TcpFields(40000, 80, 1000, 0, TcpFlags.Syn, 64240);
        int tcpLength = TcpBuilder.Write(l3[Ipv4Header.Size..], syn, mss, 0, IpA, IpB);
        Assert.Equal(28, tcpLength);
        Ipv4Builder.TryWriteHeader(l3, IpA, IpB, IpProtocol.Tcp, tcpLength);
        cases.Add(("tcp-v4-syn", WrapEthernet(MacB, EtherType.Ipv4, l3[..(Ipv4Header.Size + tcpLength)]), new() { ["tcp.flags"] = "0x0002", ["tcp.options.mss_val"] = "1460", ["tcp.window_size_value"] = "64240" }));

        "GET /"u8.CopyTo(v6[(Ipv6Header.Size + TcpHeader.Size)..]);
        tcpLength = TcpBuilder.Write(v6[Ipv6Header.Size..], new TcpFields(40001, 80, 5, 77, TcpFlags.Psh | TcpFlags.Ack, 500), [], 5, Ip6A, Ip6B);
        Ipv6Builder.TryWriteHeader(v6, Ip6A, Ip6B, IpProtocol.Tcp, tcpLength, 64);
        cases.Add(("tcp-v6-psh-ack", WrapEthernet(MacB, EtherType.Ipv6, v6[..(Ipv6Header.Size + tcpLength)]), new() { ["tcp.flags"] = "0x0018", ["tcp.ack_raw"] = "77" }));

        AddDhcp(cases);

        Assert.True(Icmpv6Builder.TryWriteNeighborSolicitation(v6, Ip6A, MacA, Ip6B, out written));
        cases.Add(("icmpv6-ns", WrapEthernet(new MacAddress(0x33, 0x33, 0xff, 0, 0, 0x0b), EtherType.Ipv6, v6[..written]), new() { ["icmpv6.type"] = "135", ["icmpv6.nd.ns.target_address"] = "fe80::200:ff:fe00:b", ["icmpv6.opt.linkaddr"] = "02:00:00:00:00:0a", ["ipv6.dst"] = "ff02::1:ff00:b", ["ipv6.hlim"] = "255" }));
        Assert.True(Icmpv6Builder.TryWriteNeighborAdvertisement(v6, Ip6B, Ip6A, Ip6B, MacB, router: false, solicited: true, overrideFlag: true, out written));
        cases.Add(("icmpv6-na", WrapEthernet(MacA, EtherType.Ipv6, v6[..written]), new() { ["icmpv6.type"] = "136", ["icmpv6.nd.na.target_address"] = "fe80::200:ff:fe00:b", ["icmpv6.opt.linkaddr"] = "02:00:00:00:00:0b", ["icmpv6.nd.na.flag.s"] = "1", ["icmpv6.nd.na.flag.r"] = "0", ["icmpv6.nd.na.flag.o"] = "1" }));
        return cases;
    }

    private static void AddDhcp(List<(string, byte[], Dictionary<string, string>)> cases)
    {
        const uint xid = 0x3903F326;
        Ipv4Address server = IpB, client = IpA;
        Ipv4Address[] routers = [new(192, 0, 2, 254)];
        Ipv4Address[] dns = [new(192, 0, 2, 53), new(192, 0, 2, 54)];
        byte[] dhcp = new byte[600];

        byte[] Frame(ref DhcpWriter w, bool fromClient)
        {
            Assert.True(w.TryFinish(out int length));
            return fromClient
                ? UdpV4(68, 67, dhcp.AsSpan(0, length), Ipv4Address.Any, Ipv4Address.Broadcast, MacAddress.Broadcast)
                : UdpV4(67, 68, dhcp.AsSpan(0, length), server, Ipv4Address.Broadcast, MacAddress.Broadcast);
        }

        DhcpWriter w = DhcpBuilder.StartDiscover(dhcp, xid, MacA);
        w.AddParameterRequestList([1, 3, 6, 15, 51, 58, 59]);
        w.AddHostName("host1"u8);
        byte[] discover = Frame(ref w, fromClient: true);
        cases.Add(("dhcp-discover", discover, new() { ["dhcp.option.dhcp"] = "1", ["dhcp.option.type"] = "53,61,55,12,0", ["dhcp.id"] = "0x3903f326", ["dhcp.hw.mac_addr"] = "02:00:00:00:00:0a,02:00:00:00:00:0a", ["dhcp.option.request_list_item"] = "1,3,6,15,51,58,59", ["dhcp.option.hostname"] = "host1", ["dhcp.flags.bc"] = "1" }));

        Assert.True(DhcpMessage.TryParse(discover.AsSpan(42), out DhcpMessage discoverMessage));
        byte[] reply = new byte[600];
        w = DhcpBuilder.StartOffer(reply, discoverMessage, client, server, 86400);
        w.AddSubnetMask(new Ipv4Address(255, 255, 255, 0));
        w.AddRouters(routers);
        w.AddDomainNameServers(dns);
        w.AddDomainName("example.net"u8);
        w.AddRenewalTime(43200);
        w.AddRebindingTime(75600);
        Assert.True(w.TryFinish(out int offerLength));
        reply.AsSpan(0, offerLength).CopyTo(dhcp);
        byte[] offer = UdpV4(67, 68, dhcp.AsSpan(0, offerLength), server, Ipv4Address.Broadcast, MacAddress.Broadcast);
        cases.Add(("dhcp-offer", offer, new() { ["dhcp.option.dhcp"] = "2", ["dhcp.option.type"] = "53,54,51,1,3,6,15,58,59,0", ["dhcp.id"] = "0x3903f326", ["dhcp.ip.your"] = "192.0.2.1", ["dhcp.option.dhcp_server_id"] = "198.51.100.7", ["dhcp.option.ip_address_lease_time"] = "86400", ["dhcp.option.subnet_mask"] = "255.255.255.0", ["dhcp.option.router"] = "192.0.2.254", ["dhcp.option.domain_name_server"] = "192.0.2.53,192.0.2.54", ["dhcp.option.domain_name"] = "example.net", ["dhcp.option.renewal_time_value"] = "43200", ["dhcp.option.rebinding_time_value"] = "75600", ["dhcp.flags.bc"] = "1" }));

        w = DhcpBuilder.StartRequest(dhcp, xid, MacA, client, server);
        byte[] request = Frame(ref w, fromClient: true);
        cases.Add(("dhcp-request", request, new() { ["dhcp.option.dhcp"] = "3", ["dhcp.option.type"] = "53,61,50,54,0", ["dhcp.option.requested_ip_address"] = "192.0.2.1", ["dhcp.option.dhcp_server_id"] = "198.51.100.7" }));

        Assert.True(DhcpMessage.TryParse(request.AsSpan(42), out DhcpMessage requestMessage));
        int ackLength;
        {
            DhcpWriter ack = DhcpBuilder.StartAck(reply, requestMessage, client, server, 3600);
            ack.AddSubnetMask(new Ipv4Address(255, 255, 255, 0));
            Assert.True(ack.TryFinish(out ackLength));
        }

        cases.Add(("dhcp-ack", UdpV4(67, 68, reply.AsSpan(0, ackLength), server, Ipv4Address.Broadcast, MacAddress.Broadcast), new() { ["dhcp.option.dhcp"] = "5", ["dhcp.option.type"] = "53,54,51,1,0", ["dhcp.ip.your"] = "192.0.2.1", ["dhcp.option.ip_address_lease_time"] = "3600" }));

        int nakLength;
        {
            DhcpWriter nak = DhcpBuilder.StartNak(reply, requestMessage, server);
            Assert.True(nak.TryFinish(out nakLength));
        }

        cases.Add(("dhcp-nak", UdpV4(67, 68, reply.AsSpan(0, nakLength), server, Ipv4Address.Broadcast, MacAddress.Broadcast), new() { ["dhcp.option.dhcp"] = "6", ["dhcp.option.type"] = "53,54,0", ["dhcp.ip.your"] = "0.0.0.0", ["dhcp.option.dhcp_server_id"] = "198.51.100.7" }));

        w = DhcpBuilder.StartRelease(dhcp, xid, MacA, client, server);
        cases.Add(("dhcp-release", Frame(ref w, fromClient: true), new() { ["dhcp.option.dhcp"] = "7", ["dhcp.option.type"] = "53,61,54,0", ["dhcp.ip.client"] = "192.0.2.1", ["dhcp.option.dhcp_server_id"] = "198.51.100.7" }));
    }
}
