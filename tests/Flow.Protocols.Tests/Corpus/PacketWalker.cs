using System.Text.Json;
using Flow.Protocols.Arp;
using Flow.Protocols.Dhcp;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Icmpv6;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;
using Flow.Protocols.Tcp;
using Flow.Protocols.Udp;

namespace Flow.Protocols.Tests.Corpus;

/// <summary>
/// Parses a frame with Flow's views, layer by layer as a classifier would, and records
/// every field under the names make_corpus.py uses, so the two can be compared as JSON.
/// </summary>
internal sealed class PacketWalker
{
    public Dictionary<string, Dictionary<string, object?>> Layers { get; } = [];

    public string? Rejected { get; private set; }

    public static PacketWalker Walk(Span<byte> frame)
    {
        var walker = new PacketWalker();
        walker.Ethernet(frame);
        return walker;
    }

    public JsonElement ToJson() => JsonSerializer.SerializeToElement(Layers);

    private void Ethernet(Span<byte> frame)
    {
        if (!EthernetFrame.TryParse(frame, out EthernetFrame eth))
        {
            Rejected = "eth";
            return;
        }

        var vlans = new List<object>();
        for (int i = 0; i < eth.VlanTagCount; i++)
        {
            ref Vlan.VlanTag tag = ref eth.Tag(i);
            vlans.Add(new Dictionary<string, object?> { ["vid"] = tag.VlanId, ["prio"] = tag.Priority, ["dei"] = tag.DropEligible ? 1 : 0 });
        }

        Layers["eth"] = new()
        {
            ["dst"] = eth.Header.Destination.ToString(), ["src"] = eth.Header.Source.ToString(), ["type"] = eth.EtherType.Host,
            ["tags"] = eth.VlanTagCount, ["vlans"] = vlans,
        };
        switch (eth.EtherType.Host)
        {
            case EtherType.Arp: Arp(eth.Payload); break;
            case EtherType.Ipv4: Ipv4(eth.Payload); break;
            case EtherType.Ipv6: Ipv6(eth.Payload); break;
        }
    }

    private void Arp(Span<byte> bytes)
    {
        if (!ArpPacket.TryParse(bytes, out ArpPacket arp))
        {
            Rejected = "arp";
            return;
        }

        ref ArpHeader a = ref arp.Header;
        Layers["arp"] = new()
        {
            ["hwtype"] = a.HardwareType.Host, ["ptype"] = a.ProtocolType.Host, ["hwlen"] = a.HardwareLength, ["plen"] = a.ProtocolLength,
            ["op"] = a.Operation.Host, ["hwsrc"] = a.SenderHardwareAddress.ToString(), ["psrc"] = a.SenderProtocolAddress.ToString(),
            ["hwdst"] = a.TargetHardwareAddress.ToString(), ["pdst"] = a.TargetProtocolAddress.ToString(),
        };
    }

    private void Ipv4(Span<byte> bytes)
    {
        if (!Ipv4Packet.TryParse(bytes, out Ipv4Packet ip))
        {
            Rejected = "ipv4";
            return;
        }

        ref Ipv4Header h = ref ip.Header;
        var optionTypes = new List<int>();
        Ipv4OptionReader reader = ip.GetOptionReader();
        while (reader.TryReadNext(out byte type, out _))
        {
            optionTypes.Add(type);
        }

        Layers["ipv4"] = new()
        {
            ["version"] = h.Version, ["ihl"] = h.HeaderLength / 4, ["tos"] = h.TypeOfService, ["len"] = h.TotalLength.Host,
            ["id"] = h.Identification.Host, ["df"] = h.DontFragment ? 1 : 0, ["mf"] = h.MoreFragments ? 1 : 0, ["frag"] = h.FragmentOffset,
            ["ttl"] = h.TimeToLive, ["proto"] = h.Protocol, ["chksum"] = h.HeaderChecksum.Host, ["src"] = h.Source.ToString(),
            ["dst"] = h.Destination.ToString(), ["options_len"] = ip.Options.Length, ["option_types"] = optionTypes,
            ["checksum_ok"] = ip.HasValidChecksum,
        };
        if (h.FragmentOffset != 0)
        {
            return;
        }

        switch (h.Protocol)
        {
            case IpProtocol.Icmp: Icmp(ip.Payload); break;
            case IpProtocol.Udp: Udp(ip.Payload, ip.Header.Source, ip.Header.Destination, default, default, v6: false); break;
            case IpProtocol.Tcp: Tcp(ip.Payload, ip.Header.Source, ip.Header.Destination, default, default, v6: false); break;
        }
    }

    private void Icmp(Span<byte> bytes)
    {
        if (!IcmpPacket.TryParse(bytes, out IcmpPacket icmp))
        {
            Rejected = "icmp";
            return;
        }

        ref IcmpHeader h = ref icmp.Header;
        var d = new Dictionary<string, object?> { ["type"] = h.Type, ["code"] = h.Code, ["chksum"] = h.Checksum.Host, ["checksum_ok"] = icmp.HasValidChecksum };
        if (h.Type is IcmpType.EchoReply or IcmpType.EchoRequest)
        {
            d["id"] = h.Identifier;
            d["seq"] = h.SequenceNumber;
        }

        if (h.Type == IcmpType.DestinationUnreachable && h.Code == IcmpType.CodeFragmentationNeeded)
        {
            d["mtu"] = h.NextHopMtu;
        }

        if (icmp.TryGetQuotedPacket(out Ipv4Packet quoted))
        {
            d["quoted"] = new Dictionary<string, object?> { ["src"] = quoted.Header.Source.ToString(), ["dst"] = quoted.Header.Destination.ToString(), ["proto"] = quoted.Header.Protocol };
        }

        Layers["icmp"] = d;
    }

    private void Udp(Span<byte> bytes, Ipv4Address src4, Ipv4Address dst4, Ipv6Address src6, Ipv6Address dst6, bool v6)
    {
        if (!UdpDatagram.TryParse(bytes, out UdpDatagram udp))
        {
            Rejected = "udp";
            return;
        }

        ref UdpHeader h = ref udp.Header;
        Layers["udp"] = new()
        {
            ["sport"] = h.SourcePort.Host, ["dport"] = h.DestinationPort.Host, ["len"] = h.Length.Host, ["chksum"] = h.Checksum.Host,
            ["checksum_ok"] = v6 ? udp.HasValidChecksum(src6, dst6) : udp.HasValidChecksum(src4, dst4),
        };
        if (!v6 && (h.SourcePort.Host is 67 or 68 || h.DestinationPort.Host is 67 or 68))
        {
            Dhcp(udp.Payload);
        }
    }

    private void Tcp(Span<byte> bytes, Ipv4Address src4, Ipv4Address dst4, Ipv6Address src6, Ipv6Address dst6, bool v6)
    {
        if (!TcpSegment.TryParse(bytes, out TcpSegment tcp))
        {
            Rejected = "tcp";
            return;
        }

        ref TcpHeader h = ref tcp.Header;
        var kinds = new List<int>();
        Ipv4OptionReader reader = tcp.GetOptionReader();
        while (reader.TryReadNext(out byte kind, out _))
        {
            kinds.Add(kind);
        }

        Layers["tcp"] = new()
        {
            ["sport"] = h.SourcePort.Host, ["dport"] = h.DestinationPort.Host, ["seq"] = h.SequenceNumber.Host, ["ack"] = h.AcknowledgmentNumber.Host,
            ["dataofs"] = h.HeaderLength, ["flags"] = (int)h.Flags, ["window"] = h.Window.Host, ["chksum"] = h.Checksum.Host,
            ["urgptr"] = h.UrgentPointer.Host, ["option_kinds"] = kinds,
            ["checksum_ok"] = v6 ? tcp.HasValidChecksum(src6, dst6) : tcp.HasValidChecksum(src4, dst4),
        };
    }

    private void Dhcp(Span<byte> bytes)
    {
        if (!DhcpMessage.TryParse(bytes, out DhcpMessage dhcp))
        {
            Rejected = "dhcp";
            return;
        }

        ref DhcpHeader h = ref dhcp.Header;
        var options = new Dictionary<string, object?>();
        DhcpOptionReader reader = dhcp.GetOptionReader();
        while (reader.TryReadNext(out byte code, out ReadOnlySpan<byte> data))
        {
            options[code.ToString()] = code switch
            {
                DhcpOptionCode.SubnetMask or DhcpOptionCode.RequestedIpAddress or DhcpOptionCode.ServerIdentifier => new Ipv4Address(data).ToString(),
                DhcpOptionCode.Router or DhcpOptionCode.DomainNameServer => Addresses(data),
                DhcpOptionCode.IpAddressLeaseTime or DhcpOptionCode.RenewalTime or DhcpOptionCode.RebindingTime => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data),
                DhcpOptionCode.MessageType => data[0],
                DhcpOptionCode.ParameterRequestList => data.ToArray().Select(b => (int)b).ToList(),
                _ => Convert.ToHexStringLower(data),
            };
        }

        Layers["dhcp"] = new()
        {
            ["op"] = h.Operation, ["xid"] = h.TransactionId.Host, ["secs"] = h.Seconds.Host, ["flags"] = h.Flags.Host,
            ["ciaddr"] = h.ClientAddress.ToString(), ["yiaddr"] = h.YourAddress.ToString(), ["siaddr"] = h.ServerAddress.ToString(),
            ["giaddr"] = h.GatewayAddress.ToString(), ["chaddr"] = h.ClientMac.ToString().Replace(":", ""), ["options"] = options,
        };
    }

    private static List<string> Addresses(ReadOnlySpan<byte> data)
    {
        var list = new List<string>();
        for (int i = 0; i + 4 <= data.Length; i += 4)
        {
            list.Add(new Ipv4Address(data.Slice(i)).ToString());
        }

        return list;
    }

    private void Ipv6(Span<byte> bytes)
    {
        if (!Ipv6Packet.TryParse(bytes, out Ipv6Packet ip))
        {
            Rejected = "ipv6";
            return;
        }

        ref Ipv6Header h = ref ip.Header;
        Layers["ipv6"] = new()
        {
            ["version"] = h.Version, ["tc"] = h.TrafficClass, ["fl"] = h.FlowLabel, ["plen"] = h.PayloadLength.Host, ["nh"] = h.NextHeader,
            ["hlim"] = h.HopLimit, ["src"] = h.Source.ToString(), ["dst"] = h.Destination.ToString(), ["ext_count"] = ip.ExtensionHeaderCount,
            ["upper"] = ip.UpperLayerProtocol, ["frag_offset"] = ip.FragmentOffset, ["m"] = ip.MoreFragments ? 1 : 0,
        };
        if (ip.FragmentOffset != 0)
        {
            return;
        }

        switch (ip.UpperLayerProtocol)
        {
            case IpProtocol.Icmpv6: Icmpv6(ip.Payload); break;
            case IpProtocol.Udp: Udp(ip.Payload, default, default, h.Source, h.Destination, v6: true); break;
            case IpProtocol.Tcp: Tcp(ip.Payload, default, default, h.Source, h.Destination, v6: true); break;
        }
    }

    private void Icmpv6(Span<byte> bytes)
    {
        if (!Icmpv6Packet.TryParse(bytes, out Icmpv6Packet icmp))
        {
            Rejected = "icmpv6";
            return;
        }

        byte type = icmp.Header.Type;
        var d = new Dictionary<string, object?> { ["type"] = type, ["code"] = icmp.Header.Code, ["chksum"] = icmp.Header.Checksum.Host };
        if (type is Icmpv6Type.EchoRequest or Icmpv6Type.EchoReply)
        {
            d["id"] = icmp.Identifier;
            d["seq"] = icmp.SequenceNumber;
        }

        if (type is Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement)
        {
            d["target"] = icmp.TargetAddress.ToString();
        }

        if (type == Icmpv6Type.NeighborAdvertisement)
        {
            d["r"] = icmp.IsRouter ? 1 : 0;
            d["s"] = icmp.IsSolicited ? 1 : 0;
            d["o"] = icmp.IsOverride ? 1 : 0;
        }

        if (type == Icmpv6Type.RouterAdvertisement)
        {
            d["chlim"] = icmp.CurrentHopLimit;
            d["managed"] = icmp.IsManaged ? 1 : 0;
            d["other"] = icmp.IsOtherConfiguration ? 1 : 0;
            d["lifetime"] = icmp.RouterLifetime;
            d["reachable"] = icmp.ReachableTime;
            d["retrans"] = icmp.RetransmitTimer;
        }

        if (icmp.TryGetLinkLayerAddress(NdOptionType.SourceLinkLayerAddress, out MacAddress source))
        {
            d["src_lladdr"] = source.ToString();
        }

        if (icmp.TryGetLinkLayerAddress(NdOptionType.TargetLinkLayerAddress, out MacAddress target))
        {
            d["dst_lladdr"] = target.ToString();
        }

        if (type is >= Icmpv6Type.RouterSolicitation and <= Icmpv6Type.NeighborAdvertisement)
        {
            var types = new List<int>();
            NdOptionReader reader = icmp.GetOptionReader();
            while (reader.TryReadNext(out byte optionType, out _))
            {
                types.Add(optionType);
            }

            d["option_types"] = types;
        }

        Layers["icmpv6"] = d;
    }
}
