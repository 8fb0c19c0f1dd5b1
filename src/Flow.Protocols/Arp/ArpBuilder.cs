using Flow.Protocols.Ethernet;
using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;

namespace Flow.Protocols.Arp;

/// <summary>Writes ARP requests and turns requests into replies in place (RFC 826).</summary>
public static class ArpBuilder
{
    /// <summary>
    /// Writes a broadcast who-has request for <paramref name="targetAddress"/> as a whole
    /// Ethernet frame, padded to the 60-byte minimum. The target hardware address is zero
    /// (RFC 826 leaves it unspecified; RFC 5227 2.1.1 asks for zero).
    /// </summary>
    public static bool TryWriteRequest(Span<byte> destination, MacAddress senderMac, Ipv4Address senderAddress, Ipv4Address targetAddress, out int written)
    {
        if ((uint)destination.Length < EthernetBuilder.MinimumFrameLength)
        {
            written = 0;
            return false;
        }

        EthernetBuilder.TryWriteHeader(destination, MacAddress.Broadcast, senderMac, EtherType.Arp);
        ref ArpHeader arp = ref Wire.As<ArpHeader>(destination.Slice(EthernetHeader.Size));
        WriteFixedPart(ref arp, ArpOperation.Request);
        arp.SenderHardwareAddress = senderMac;
        arp.SenderProtocolAddress = senderAddress;
        arp.TargetHardwareAddress = default;
        arp.TargetProtocolAddress = targetAddress;
        written = EthernetBuilder.PadToMinimum(destination, EthernetHeader.Size + ArpHeader.Size);
        return true;
    }

    /// <summary>
    /// Turns the request in <paramref name="frame"/> into the reply for it, in place: the
    /// sender fields move to the target fields, <paramref name="ownMac"/> and the address
    /// asked for become the sender (RFC 826 "Packet Reception": swap, fill in, set opcode
    /// to reply, send to the requester). VLAN tags stay as they are, so the reply leaves on
    /// the VLAN it came in on.
    /// </summary>
    public static void WriteReplyInPlace(EthernetFrame frame, ArpPacket request, MacAddress ownMac)
    {
        ref ArpHeader arp = ref request.Header;
        Ipv4Address asked = arp.TargetProtocolAddress;
        arp.TargetHardwareAddress = arp.SenderHardwareAddress;
        arp.TargetProtocolAddress = arp.SenderProtocolAddress;
        arp.SenderHardwareAddress = ownMac;
        arp.SenderProtocolAddress = asked;
        arp.Operation = new NetU16(ArpOperation.Reply);

        ref EthernetHeader eth = ref frame.Header;
        eth.Destination = eth.Source;
        eth.Source = ownMac;
    }

    private static void WriteFixedPart(ref ArpHeader arp, ushort operation)
    {
        arp.HardwareType = new NetU16(ArpHeader.EthernetHardwareType);
        arp.ProtocolType = new NetU16(EtherType.Ipv4);
        arp.HardwareLength = 6;
        arp.ProtocolLength = 4;
        arp.Operation = new NetU16(operation);
    }
}
