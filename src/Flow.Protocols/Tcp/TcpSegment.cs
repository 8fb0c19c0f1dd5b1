using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;

namespace Flow.Protocols.Tcp;

/// <summary>A view over a TCP segment: header, options and data (RFC 9293 3.1).</summary>
/// <remarks>
/// Data Offset is read once, by TryParse, and kept: a peer sharing the packet memory could
/// change it afterwards, and <see cref="Options"/> and <see cref="Payload"/> must stay inside
/// the bounds that were checked.
/// </remarks>
public readonly ref struct TcpSegment
{
    private readonly Span<byte> _bytes;
    private readonly int _headerLength;

    private TcpSegment(Span<byte> bytes, int headerLength)
    {
        _bytes = bytes;
        _headerLength = headerLength;
    }

    /// <summary>The whole segment, as given to <see cref="TryParse"/>.</summary>
    public Span<byte> Bytes => _bytes;

    public ref TcpHeader Header => ref Wire.As<TcpHeader>(_bytes);

    /// <summary>Data Offset in bytes as validated at parse time.</summary>
    public int HeaderLength => _headerLength;

    public Span<byte> Options => _bytes.Slice(TcpHeader.Size, _headerLength - TcpHeader.Size);

    public Span<byte> Payload => _bytes.Slice(_headerLength);

    /// <summary>Walks the options (same encoding as IPv4's, RFC 9293 3.1 "Options").</summary>
    public Ipv4OptionReader GetOptionReader() => new(Options);

    public bool HasValidChecksum(Ipv4Address source, Ipv4Address destination) =>
        Checksum.Sum(_bytes, Checksum.PseudoHeaderSum(source, destination, IpProtocol.Tcp, (ushort)_bytes.Length)) == 0xFFFF;

    public bool HasValidChecksum(Ipv6Address source, Ipv6Address destination) =>
        Checksum.Sum(_bytes, Checksum.PseudoHeaderSum(source, destination, IpProtocol.Tcp, (uint)_bytes.Length)) == 0xFFFF;

    /// <summary>
    /// Parses the L3 payload (already trimmed by the IP view). False when shorter than 20
    /// bytes, when Data Offset is below 5 or past the buffer, or when an option runs past
    /// the header.
    /// </summary>
    public static bool TryParse(Span<byte> bytes, out TcpSegment view)
    {
        if ((uint)bytes.Length < TcpHeader.Size)
        {
            view = default;
            return false;
        }

        int headerLength = Wire.As<TcpHeader>(bytes).HeaderLength;
        if (headerLength < TcpHeader.Size || (uint)headerLength > (uint)bytes.Length
            || (headerLength > TcpHeader.Size && !KindLengthOptions.AreWellFormed(bytes.Slice(TcpHeader.Size, headerLength - TcpHeader.Size))))
        {
            view = default;
            return false;
        }

        view = new TcpSegment(bytes, headerLength);
        return true;
    }
}
