using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;

namespace Flow.Protocols.Udp;

/// <summary>A view over a UDP datagram, trimmed to its Length field (RFC 768).</summary>
public readonly ref struct UdpDatagram
{
    private readonly Span<byte> _bytes;

    private UdpDatagram(Span<byte> bytes) => _bytes = bytes;

    /// <summary>Header and data, Length bytes.</summary>
    public Span<byte> Bytes => _bytes;

    public ref UdpHeader Header => ref Wire.As<UdpHeader>(_bytes);

    public Span<byte> Payload => _bytes.Slice(UdpHeader.Size);

    /// <summary>
    /// Verifies the checksum over the IPv4 pseudo-header; a zero checksum means the sender
    /// computed none and is accepted (RFC 768; RFC 1122 4.1.3.4).
    /// </summary>
    public bool HasValidChecksum(Ipv4Address source, Ipv4Address destination) =>
        Header.Checksum.Raw == 0
        || Checksum.Sum(_bytes, Checksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, (ushort)_bytes.Length)) == 0xFFFF;

    /// <summary>Verifies the checksum over the IPv6 pseudo-header; zero is invalid over IPv6 (RFC 8200 8.1).</summary>
    public bool HasValidChecksum(Ipv6Address source, Ipv6Address destination) =>
        Header.Checksum.Raw != 0
        && Checksum.Sum(_bytes, Checksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, (uint)_bytes.Length)) == 0xFFFF;

    /// <summary>
    /// Parses the L3 payload. False when it is shorter than the header, or when Length is
    /// below 8 or beyond the buffer. Extra bytes after Length (IP padding) are left out.
    /// </summary>
    public static bool TryParse(Span<byte> bytes, out UdpDatagram view)
    {
        if ((uint)bytes.Length < UdpHeader.Size)
        {
            view = default;
            return false;
        }

        uint length = Wire.As<UdpHeader>(bytes).Length.Host;
        if (length < UdpHeader.Size || length > (uint)bytes.Length)
        {
            view = default;
            return false;
        }

        view = new UdpDatagram(bytes.Slice(0, (int)length));
        return true;
    }
}
