using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;

namespace Flow.Protocols.Icmp;

/// <summary>
/// A view over an ICMP message (RFC 792): the header, and the body — echo data, or for
/// error types the quoted IPv4 header and leading payload of the offending packet.
/// </summary>
public readonly ref struct IcmpPacket
{
    private readonly Span<byte> _bytes;

    private IcmpPacket(Span<byte> bytes) => _bytes = bytes;

    public Span<byte> Bytes => _bytes;

    public ref IcmpHeader Header => ref Wire.As<IcmpHeader>(_bytes);

    /// <summary>Echo data, or the quoted packet of an error message.</summary>
    public Span<byte> Body => _bytes.Slice(IcmpHeader.Size);

    /// <summary>True when the checksum over the whole message verifies (RFC 792).</summary>
    public bool HasValidChecksum => Checksum.IsValid(_bytes);

    /// <summary>
    /// The quoted packet of an error message; false for non-error types or when the quote
    /// does not hold a complete IPv4 header (see <see cref="Ipv4Packet.TryParseQuoted"/>).
    /// </summary>
    public bool TryGetQuotedPacket(out Ipv4Packet quoted)
    {
        if (!IcmpType.IsError(Header.Type))
        {
            quoted = default;
            return false;
        }

        return Ipv4Packet.TryParseQuoted(Body, out quoted);
    }

    /// <summary>
    /// Parses an ICMP message given the IPv4 payload. False when shorter than the 8-byte
    /// header. The message extends to the end of <paramref name="bytes"/>, which the IPv4
    /// view has already trimmed to Total Length.
    /// </summary>
    public static bool TryParse(Span<byte> bytes, out IcmpPacket view)
    {
        if ((uint)bytes.Length < IcmpHeader.Size)
        {
            view = default;
            return false;
        }

        view = new IcmpPacket(bytes);
        return true;
    }
}
