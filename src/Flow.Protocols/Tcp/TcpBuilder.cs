using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;

namespace Flow.Protocols.Tcp;

/// <summary>Writes TCP headers (with options) and their pseudo-header checksums.</summary>
public static class TcpBuilder
{
    /// <summary>
    /// Writes header and <paramref name="options"/> in front of a payload of
    /// <paramref name="payloadLength"/> bytes at <c>destination[20 + options padded to 4 ..]</c>,
    /// checksummed over the IPv4 pseudo-header. Options are padded with end-of-list bytes to
    /// a multiple of 4 (RFC 9293 3.1). Returns the segment length, or 0 when it does not fit.
    /// </summary>
    public static int Write(Span<byte> destination, in TcpFields fields, ReadOnlySpan<byte> options, int payloadLength, Ipv4Address source, Ipv4Address destinationAddress)
    {
        int length = WriteHeader(destination, fields, options, payloadLength);
        if (length != 0)
        {
            Span<byte> segment = destination.Slice(0, length);
            ushort pseudo = Checksum.PseudoHeaderSum(source, destinationAddress, IpProtocol.Tcp, (ushort)length);
            Wire.As<TcpHeader>(segment).Checksum = Checksum.Finish(Checksum.Sum(segment, pseudo));
        }

        return length;
    }

    /// <summary>As the IPv4 overload, over the IPv6 pseudo-header (RFC 8200 8.1).</summary>
    public static int Write(Span<byte> destination, in TcpFields fields, ReadOnlySpan<byte> options, int payloadLength, Ipv6Address source, Ipv6Address destinationAddress)
    {
        int length = WriteHeader(destination, fields, options, payloadLength);
        if (length != 0)
        {
            Span<byte> segment = destination.Slice(0, length);
            ushort pseudo = Checksum.PseudoHeaderSum(source, destinationAddress, IpProtocol.Tcp, (uint)length);
            Wire.As<TcpHeader>(segment).Checksum = Checksum.Finish(Checksum.Sum(segment, pseudo));
        }

        return length;
    }

    private static int WriteHeader(Span<byte> destination, in TcpFields fields, ReadOnlySpan<byte> options, int payloadLength)
    {
        int headerLength = TcpHeader.Size + ((options.Length + 3) & ~3);
        if (headerLength > TcpHeader.MaxSize || (uint)payloadLength > (uint)(ushort.MaxValue - headerLength)
            || (uint)destination.Length < (uint)(headerLength + payloadLength))
        {
            return 0;
        }

        ref TcpHeader h = ref Wire.As<TcpHeader>(destination);
        h.SourcePort = new NetU16(fields.SourcePort);
        h.DestinationPort = new NetU16(fields.DestinationPort);
        h.SequenceNumber = new NetU32(fields.SequenceNumber);
        h.AcknowledgmentNumber = new NetU32(fields.AcknowledgmentNumber);
        h.DataOffsetAndReserved = (byte)((headerLength / 4) << 4);
        h.Flags = fields.Flags;
        h.Window = new NetU16(fields.Window);
        h.Checksum = default;
        h.UrgentPointer = new NetU16(fields.UrgentPointer);
        options.CopyTo(destination.Slice(TcpHeader.Size));
        destination[(TcpHeader.Size + options.Length)..headerLength].Clear();
        return headerLength + payloadLength;
    }
}
