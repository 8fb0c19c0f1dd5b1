using FsCheck.Xunit;
using Flow.Protocols.Arp;
using Flow.Protocols.Dhcp;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmpv6;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;
using Flow.Protocols.Tcp;
using Flow.Protocols.Udp;

namespace Flow.Protocols.Tests.Properties;

/// <summary>parse(build(x)) = x for every builder, over generated inputs (FsCheck).</summary>
public sealed class RoundTripProperties
{
    [Property(MaxTest = 300)]
    public bool UdpOverIpv4ParsesBackToWhatWasBuilt(ushort sourcePort, ushort destinationPort, uint source, uint destination, byte[] payload, byte ttl, ushort id)
    {
        payload ??= [];
        var src = new Ipv4Address(new NetU32(source));
        var dst = new Ipv4Address(new NetU32(destination));
        byte[] packet = new byte[Ipv4Header.Size + UdpHeader.Size + payload.Length];
        payload.CopyTo(packet, Ipv4Header.Size + UdpHeader.Size);
        bool built = UdpBuilder.TryWrite(packet.AsSpan(Ipv4Header.Size), sourcePort, destinationPort, payload.Length, src, dst)
            && Ipv4Builder.TryWriteHeader(packet, src, dst, IpProtocol.Udp, UdpHeader.Size + payload.Length, ttl, id);
        return built
            && Ipv4Packet.TryParse(packet, out Ipv4Packet ip) && ip.HasValidChecksum
            && ip.Header.Source == src && ip.Header.Destination == dst && ip.Header.TimeToLive == ttl && ip.Header.Identification.Host == id
            && UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp) && udp.HasValidChecksum(src, dst) && udp.Header.Checksum.Raw != 0
            && udp.Header.SourcePort.Host == sourcePort && udp.Header.DestinationPort.Host == destinationPort
            && udp.Payload.SequenceEqual(payload);
    }

    [Property(MaxTest = 300)]
    public bool UdpOverIpv6ParsesBackToWhatWasBuilt(ushort sourcePort, ushort destinationPort, Guid source, Guid destination, byte[] payload)
    {
        payload ??= [];
        var src = new Ipv6Address(source.ToByteArray());
        var dst = new Ipv6Address(destination.ToByteArray());
        byte[] packet = new byte[Ipv6Header.Size + UdpHeader.Size + payload.Length];
        payload.CopyTo(packet, Ipv6Header.Size + UdpHeader.Size);
        bool built = UdpBuilder.TryWrite(packet.AsSpan(Ipv6Header.Size), sourcePort, destinationPort, payload.Length, src, dst)
            && Ipv6Builder.TryWriteHeader(packet, src, dst, IpProtocol.Udp, UdpHeader.Size + payload.Length, 64);
        return built
            && Ipv6Packet.TryParse(packet, out Ipv6Packet ip) && ip.UpperLayerProtocol == IpProtocol.Udp
            && ip.Header.Source == src && ip.Header.Destination == dst
            && UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp) && udp.HasValidChecksum(src, dst)
            && udp.Header.SourcePort.Host == sourcePort && udp.Payload.SequenceEqual(payload);
    }

    [Property(MaxTest = 300)]
    public bool TcpParsesBackToWhatWasBuilt(ushort sourcePort, ushort destinationPort, uint sequence, uint ack, byte flags, ushort window, ushort mss, byte[] payload, uint source, uint destination)
    {
        payload ??= [];
        var src = new Ipv4Address(new NetU32(source));
        var dst = new Ipv4Address(new NetU32(destination));
        byte[] options = [2, 4, (byte)(mss >> 8), (byte)mss, 1, 3, 3, 7];
        byte[] segment = new byte[TcpHeader.Size + 8 + payload.Length];
        payload.CopyTo(segment, TcpHeader.Size + 8);
        var fields = new TcpFields(sourcePort, destinationPort, sequence, ack, (TcpFlags)flags, window);
        int length = TcpBuilder.Write(segment, fields, options, payload.Length, src, dst);
        if (length != segment.Length || !TcpSegment.TryParse(segment, out TcpSegment tcp) || !tcp.HasValidChecksum(src, dst))
        {
            return false;
        }

        ref TcpHeader h = ref tcp.Header;
        Ipv4OptionReader reader = tcp.GetOptionReader();
        return new TcpFields(h.SourcePort.Host, h.DestinationPort.Host, h.SequenceNumber.Host, h.AcknowledgmentNumber.Host, h.Flags, h.Window.Host) == fields
            && reader.TryReadNext(out byte kind, out ReadOnlySpan<byte> value) && kind == 2 && ((value[0] << 8) | value[1]) == mss
            && reader.TryReadNext(out kind, out value) && kind == 3 && value[0] == 7
            && !reader.TryReadNext(out _, out _)
            && tcp.Payload.SequenceEqual(payload);
    }

    [Property(MaxTest = 300)]
    public bool ArpRequestParsesBackAndItsReplyAnswersIt(ulong macs, uint sender, uint target)
    {
        var mac = new MacAddress((byte)(macs & 0xFE), (byte)(macs >> 8), (byte)(macs >> 16), (byte)(macs >> 24), (byte)(macs >> 32), (byte)(macs >> 40));
        var own = new MacAddress(2, 0, 0, 0, 0, (byte)(macs >> 48));
        var spa = new Ipv4Address(new NetU32(sender));
        var tpa = new Ipv4Address(new NetU32(target));
        byte[] frame = new byte[64];
        if (!ArpBuilder.TryWriteRequest(frame, mac, spa, tpa, out int written) || written != 60
            || !EthernetFrame.TryParse(frame, out EthernetFrame eth) || !ArpPacket.TryParse(eth.Payload, out ArpPacket arp))
        {
            return false;
        }

        bool request = arp.Header.Operation.Host == ArpOperation.Request && arp.Header.SenderHardwareAddress == mac
            && arp.Header.SenderProtocolAddress == spa && arp.Header.TargetProtocolAddress == tpa && eth.Header.Destination.IsBroadcast;
        ArpBuilder.WriteReplyInPlace(eth, arp, own);
        return request && arp.Header.Operation.Host == ArpOperation.Reply && arp.Header.SenderHardwareAddress == own
            && arp.Header.SenderProtocolAddress == tpa && arp.Header.TargetHardwareAddress == mac && arp.Header.TargetProtocolAddress == spa
            && eth.Header.Destination == mac && eth.Header.Source == own;
    }

    [Property(MaxTest = 300)]
    public bool DhcpOfferParsesBackToWhatWasBuilt(uint xid, uint yiaddr, uint server, uint lease, uint mask, uint[] dns, byte[] domain)
    {
        dns = (dns ?? []).Take(8).ToArray();
        domain = (domain ?? []).Take(64).ToArray();
        var mac = new MacAddress(2, 1, 2, 3, 4, 5);
        byte[] discoverBytes = new byte[400];
        DhcpWriter discover = DhcpBuilder.StartDiscover(discoverBytes, xid, mac);
        if (!discover.TryFinish(out int discoverLength) || !DhcpMessage.TryParse(discoverBytes.AsSpan(0, discoverLength), out DhcpMessage request))
        {
            return false;
        }

        Ipv4Address[] servers = dns.Select(d => new Ipv4Address(new NetU32(d))).ToArray();
        byte[] offerBytes = new byte[600];
        DhcpWriter w = DhcpBuilder.StartOffer(offerBytes, request, new Ipv4Address(new NetU32(yiaddr)), new Ipv4Address(new NetU32(server)), lease);
        w.AddSubnetMask(new Ipv4Address(new NetU32(mask)));
        w.AddDomainNameServers(servers);
        w.AddDomainName(domain);
        if (!w.TryFinish(out int length) || !DhcpMessage.TryParse(offerBytes.AsSpan(0, length), out DhcpMessage offer))
        {
            return false;
        }

        return offer.Header.TransactionId.Host == xid && offer.Header.ClientMac == mac && offer.Header.YourAddress.Value.Host == yiaddr
            && offer.TryGetMessageType(out DhcpMessageType type) && type == DhcpMessageType.Offer
            && offer.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> sid) && new Ipv4Address(sid).Value.Host == server
            && offer.TryGetOption(DhcpOptionCode.IpAddressLeaseTime, out ReadOnlySpan<byte> l) && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(l) == lease
            && offer.TryGetOption(DhcpOptionCode.SubnetMask, out ReadOnlySpan<byte> m) && new Ipv4Address(m).Value.Host == mask
            && offer.TryGetOption(DhcpOptionCode.DomainNameServer, out ReadOnlySpan<byte> d) && d.Length == 4 * dns.Length
            && d.SequenceEqual(dns.SelectMany(x => new[] { (byte)(x >> 24), (byte)(x >> 16), (byte)(x >> 8), (byte)x }).ToArray())
            && offer.TryGetOption(DhcpOptionCode.DomainName, out ReadOnlySpan<byte> name) && name.SequenceEqual(domain);
    }

    [Property(MaxTest = 300)]
    public bool NeighborMessagesParseBackToWhatWasBuilt(Guid source, Guid target, byte macTail, bool router, bool solicited, bool overrideFlag)
    {
        var src = new Ipv6Address(source.ToByteArray());
        var tgt = new Ipv6Address(target.ToByteArray());
        var mac = new MacAddress(2, 0, 0, 0, 1, macTail);
        byte[] packet = new byte[128];
        if (!Icmpv6Builder.TryWriteNeighborSolicitation(packet, src, mac, tgt, out int written)
            || !Ipv6Packet.TryParse(packet.AsSpan(0, written), out Ipv6Packet ns) || ns.Header.Destination != tgt.SolicitedNodeMulticast()
            || !Icmpv6Packet.TryParse(ns.Payload, out Icmpv6Packet solicitation) || !solicitation.HasValidChecksum(src, ns.Header.Destination)
            || solicitation.TargetAddress != tgt || !solicitation.TryGetLinkLayerAddress(NdOptionType.SourceLinkLayerAddress, out MacAddress sll) || sll != mac)
        {
            return false;
        }

        return Icmpv6Builder.TryWriteNeighborAdvertisement(packet, tgt, src, tgt, mac, router, solicited, overrideFlag, out written)
            && Ipv6Packet.TryParse(packet.AsSpan(0, written), out Ipv6Packet na) && na.Header.HopLimit == 255
            && Icmpv6Packet.TryParse(na.Payload, out Icmpv6Packet advert) && advert.HasValidChecksum(tgt, src)
            && advert.TargetAddress == tgt && advert.IsRouter == router && advert.IsSolicited == solicited && advert.IsOverride == overrideFlag
            && advert.TryGetLinkLayerAddress(NdOptionType.TargetLinkLayerAddress, out MacAddress tll) && tll == mac;
    }
}
