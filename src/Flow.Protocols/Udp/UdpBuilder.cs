using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;

namespace Flow.Protocols.Udp;

/// <summary>Writes UDP headers with pseudo-header checksums over IPv4 or IPv6.</summary>
public static class UdpBuilder
{
    /// <summary>
    /// Writes the header in front of a payload of <paramref name="payloadLength"/> bytes already
    /// at <c>destination[8..]</c>, checksummed over the IPv4 pseudo-header (RFC 768).
    /// </summary>
    public static bool TryWrite(Span<byte> destination, ushort sourcePort, ushort destinationPort, int payloadLength, Ipv4Address source, Ipv4Address destinationAddress)
    {
        if (!TryWriteHeader(destination, sourcePort, destinationPort, payloadLength, out Span<byte> datagram))
        {
            return false;
        }

        ushort pseudo = Checksum.PseudoHeaderSum(source, destinationAddress, IpProtocol.Udp, (ushort)datagram.Length);
        Wire.As<UdpHeader>(datagram).Checksum = NonZero(Checksum.Finish(Checksum.Sum(datagram, pseudo)));
        return true;
    }

    /// <summary>As the IPv4 overload, over the IPv6 pseudo-header (RFC 8200 8.1).</summary>
    public static bool TryWrite(Span<byte> destination, ushort sourcePort, ushort destinationPort, int payloadLength, Ipv6Address source, Ipv6Address destinationAddress)
    {
        if (!TryWriteHeader(destination, sourcePort, destinationPort, payloadLength, out Span<byte> datagram))
        {
            return false;
        }

        ushort pseudo = Checksum.PseudoHeaderSum(source, destinationAddress, IpProtocol.Udp, (uint)datagram.Length);
        Wire.As<UdpHeader>(datagram).Checksum = NonZero(Checksum.Finish(Checksum.Sum(datagram, pseudo)));
        return true;
    }

    private static bool TryWriteHeader(Span<byte> destination, ushort sourcePort, ushort destinationPort, int payloadLength, out Span<byte> datagram)
    {
        if ((uint)payloadLength > ushort.MaxValue - UdpHeader.Size || (uint)destination.Length < (uint)(UdpHeader.Size + payloadLength))
        {
            datagram = default;
            return false;
        }

        datagram = destination.Slice(0, UdpHeader.Size + payloadLength);
        ref UdpHeader h = ref Wire.As<UdpHeader>(datagram);
        h.SourcePort = new NetU16(sourcePort);
        h.DestinationPort = new NetU16(destinationPort);
        h.Length = new NetU16((ushort)datagram.Length);
        h.Checksum = default;
        return true;
    }

    /// <summary>A computed zero is sent as all ones; zero on the wire means "no checksum" (RFC 768).</summary>
    private static NetU16 NonZero(NetU16 checksum) => checksum.Raw == 0 ? new NetU16(0xFFFF) : checksum;
}
