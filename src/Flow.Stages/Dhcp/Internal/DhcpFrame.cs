using System.Buffers.Binary;
using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;

namespace Flow.Stages.Dhcp.Internal;

/// <summary>
/// Wraps a DHCP message in UDP, IPv4 and Ethernet headers, as the DHCP server and client send
/// it: complete for the link (broadcast, or straight to a client's hardware address, RFC 2131
/// 4.1), or with the Ethernet addresses left for <c>arp_resolve</c> when the packet is routed.
/// </summary>
/// <remarks>
/// <code>
/// 0          14           34        42
/// | Ethernet | IPv4 (20)  | UDP (8) | DHCP message ...
/// </code>
/// </remarks>
internal static class DhcpFrame
{
    public const int HeadersLength = EthernetHeader.Size + Ipv4Header.Size + UdpHeader.Size;

    public const ushort ServerPort = 67;
    public const ushort ClientPort = 68;

    /// <summary>
    /// Writes the frame into <paramref name="frame"/> with <paramref name="message"/> as its UDP
    /// payload; false when it does not fit. <paramref name="message"/> may not overlap the frame.
    /// </summary>
    public static bool TryWrite(Span<byte> frame, ReadOnlySpan<byte> message, MacAddress destinationMac, MacAddress sourceMac,
        uint source, uint destination, ushort sourcePort, ushort destinationPort, out int length)
    {
        length = HeadersLength + message.Length;
        if ((uint)length > (uint)frame.Length)
        {
            return false;
        }
        message.CopyTo(frame.Slice(HeadersLength));
        var from = new Ipv4Address(new NetU32(source));
        var to = new Ipv4Address(new NetU32(destination));
        UdpBuilder.TryWrite(frame.Slice(EthernetHeader.Size + Ipv4Header.Size), sourcePort, destinationPort, message.Length, from, to);
        Ipv4Builder.TryWriteHeader(frame.Slice(EthernetHeader.Size), from, to, IpProtocol.Udp, UdpHeader.Size + message.Length);
        EthernetBuilder.TryWriteHeader(frame, destinationMac, sourceMac, EtherType.Ipv4);
        return true;
    }

    /// <summary>Sets the metadata of a frame <see cref="TryWrite"/> made at the packet's data start.</summary>
    public static void SetMeta(Packet packet, int length)
    {
        ref PacketMeta meta = ref packet.Meta;
        meta.Length = (ushort)length;
        meta.L2Offset = 0;
        meta.L3Offset = EthernetHeader.Size;
        meta.L4Offset = EthernetHeader.Size + Ipv4Header.Size;
        meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid;
    }

    /// <summary>Host-order address from a DHCP header field.</summary>
    public static uint Host(Ipv4Address address) => address.Value.Host;

    /// <summary>Host-order address from a 4-byte option.</summary>
    public static uint Host(ReadOnlySpan<byte> option) => BinaryPrimitives.ReadUInt32BigEndian(option);
}
