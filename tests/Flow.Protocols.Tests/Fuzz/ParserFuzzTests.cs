using Flow.Protocols.Arp;
using Flow.Protocols.Dhcp;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Icmpv6;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;
using Flow.Protocols.Tcp;
using Flow.Protocols.Tests.Corpus;
using Flow.TestKit;
using Flow.Protocols.Udp;

namespace Flow.Protocols.Tests.Fuzz;

/// <summary>
/// Feeds random and mutated buffers to every parser and every accessor its TryParse
/// vouches for. Each buffer ends against a PROT_NONE page, so an over-read kills the test
/// host; an exception fails the test. Seeded, so a failure reproduces.
/// </summary>
public sealed class ParserFuzzTests
{
    private const int Iterations = 1_500_000;
    private const int Seed = 20260101;

    [Fact]
    public void MillionsOfRandomAndMutatedBuffersNeverThrowNorReadPastTheEnd()
    {
        byte[][] seeds = ScapyCorpus.Entries.Select(e => e.Frame).ToArray();
        var random = new Random(Seed);
        using var guarded = new GuardedBuffer(4096);
        byte[] scratch = new byte[2048];
        long accepted = 0;
        for (int i = 0; i < Iterations; i++)
        {
            int length;
            if (random.Next(10) == 0)
            {
                length = random.Next(0, 600);
                random.NextBytes(scratch.AsSpan(0, length));
            }
            else
            {
                byte[] seed = seeds[random.Next(seeds.Length)];
                length = seed.Length;
                seed.CopyTo(scratch, 0);
                length = Mutate(random, scratch, length);
            }

            Span<byte> frame = guarded.Place(scratch.AsSpan(0, length));
            accepted += ParseEverything(frame);

            // Also start the L3 and L4 parsers right at the guarded end of the buffer.
            accepted += ParseL3(frame) + ParseL4(frame, IpProtocol.Udp) + ParseL4(frame, IpProtocol.Tcp) + ParseL4(frame, IpProtocol.Icmp) + ParseL4(frame, IpProtocol.Icmpv6);
        }

        // The mutations keep most frames parseable, so the accessors behind TryParse get exercised.
        Assert.True(accepted > Iterations, $"only {accepted} layers parsed in {Iterations} iterations");
    }

    private static int Mutate(Random random, byte[] buffer, int length)
    {
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.Next(5))
            {
                case 0 when length > 0:
                    buffer[random.Next(length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when length > 0:
                    // Length and type fields sit in the first 60 bytes of each layer; hit them often.
                    buffer[random.Next(Math.Min(length, 80))] = (byte)random.Next(256);
                    break;
                case 2:
                    length = random.Next(0, length + 1);
                    break;
                case 3:
                    int grow = random.Next(0, 64);
                    random.NextBytes(buffer.AsSpan(length, grow));
                    length += grow;
                    break;
                default:
                    if (length > 0)
                    {
                        buffer[random.Next(length)] = (byte)(random.Next(2) == 0 ? 0 : 0xFF);
                    }

                    break;
            }
        }

        return length;
    }

    private static int ParseEverything(Span<byte> frame)
    {
        if (!EthernetFrame.TryParse(frame, out EthernetFrame eth))
        {
            return 0;
        }

        int parsed = 1;
        for (int t = 0; t < eth.VlanTagCount; t++)
        {
            parsed += eth.Tag(t).VlanId & 0;
        }

        return parsed + eth.EtherType.Host switch
        {
            EtherType.Arp or EtherType.Ipv4 or EtherType.Ipv6 => ParseL3(eth.Payload),
            _ => 0,
        };
    }

    private static int ParseL3(Span<byte> bytes)
    {
        int parsed = 0;
        if (ArpPacket.TryParse(bytes, out ArpPacket arp))
        {
            parsed += arp.Header.Operation.Host & 0 + 1;
        }

        if (Ipv4Packet.TryParse(bytes, out Ipv4Packet ip))
        {
            parsed++;
            Ipv4OptionReader options = ip.GetOptionReader();
            while (options.TryReadNext(out _, out ReadOnlySpan<byte> data))
            {
                parsed += data.Length & 0;
            }

            parsed += (ip.HasValidChecksum ? 1 : 0) & 0;
            parsed += ParseL4(ip.Payload, ip.Header.Protocol, ip.Header.Source, ip.Header.Destination);
        }

        if (Ipv6Packet.TryParse(bytes, out Ipv6Packet ip6))
        {
            parsed++;
            parsed += (int)(ip6.FragmentIdentification & 0) + (ip6.FragmentOffset & 0) + (ip6.MoreFragments ? 0 : 0);
            parsed += ParseL4(ip6.Payload, ip6.UpperLayerProtocol, default, default, ip6.Header.Source, ip6.Header.Destination, v6: true);
        }

        return parsed;
    }

    private static int ParseL4(Span<byte> bytes, byte protocol) => ParseL4(bytes, protocol, default, default);

    private static int ParseL4(Span<byte> bytes, byte protocol, Ipv4Address src, Ipv4Address dst, Ipv6Address src6 = default, Ipv6Address dst6 = default, bool v6 = false)
    {
        switch (protocol)
        {
            case IpProtocol.Icmp when IcmpPacket.TryParse(bytes, out IcmpPacket icmp):
                int quoted = icmp.TryGetQuotedPacket(out Ipv4Packet inner) ? inner.Payload.Length & 0 : 0;
                return 1 + quoted + ((icmp.HasValidChecksum ? 1 : 0) & 0) + (icmp.Header.NextHopMtu & 0);
            case IpProtocol.Udp when UdpDatagram.TryParse(bytes, out UdpDatagram udp):
                bool ok = v6 ? udp.HasValidChecksum(src6, dst6) : udp.HasValidChecksum(src, dst);
                return 1 + ((ok ? 1 : 0) & 0) + ParseDhcp(udp.Payload);
            case IpProtocol.Tcp when TcpSegment.TryParse(bytes, out TcpSegment tcp):
                Ipv4OptionReader options = tcp.GetOptionReader();
                while (options.TryReadNext(out _, out _))
                {
                }

                bool valid = v6 ? tcp.HasValidChecksum(src6, dst6) : tcp.HasValidChecksum(src, dst);
                return 1 + ((valid ? 1 : 0) & 0) + (tcp.Payload.Length & 0);
            case IpProtocol.Icmpv6 when Icmpv6Packet.TryParse(bytes, out Icmpv6Packet icmp6):
                return 1 + Icmpv6Accessors(icmp6);
            default:
                return 0;
        }
    }

    private static int Icmpv6Accessors(Icmpv6Packet icmp)
    {
        int sink = 0;
        switch (icmp.Header.Type)
        {
            case Icmpv6Type.EchoRequest or Icmpv6Type.EchoReply:
                sink += icmp.Identifier + icmp.SequenceNumber;
                break;
            case Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement:
                sink += icmp.TargetAddress.GetHashCode() + (icmp.IsRouter ? 1 : 0);
                break;
            case Icmpv6Type.RouterAdvertisement:
                sink += (int)(icmp.ReachableTime + icmp.RetransmitTimer) + icmp.RouterLifetime;
                break;
        }

        sink += icmp.TryGetLinkLayerAddress(NdOptionType.SourceLinkLayerAddress, out MacAddress mac) ? mac.GetHashCode() : 0;
        return sink & 0;
    }

    private static int ParseDhcp(Span<byte> bytes)
    {
        if (!DhcpMessage.TryParse(bytes, out DhcpMessage dhcp))
        {
            return 0;
        }

        int sink = dhcp.TryGetMessageType(out DhcpMessageType type) ? (int)type : 0;
        sink += dhcp.TryGetOption(DhcpOptionCode.ParameterRequestList, out ReadOnlySpan<byte> list) ? list.Length : 0;
        sink += dhcp.Header.ClientMac.GetHashCode();
        return 1 + (sink & 0);
    }
}
