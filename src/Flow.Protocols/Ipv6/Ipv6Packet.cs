using System.Buffers.Binary;
using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;

namespace Flow.Protocols.Ipv6;

/// <summary>
/// A view over an IPv6 packet, trimmed to 40 + Payload Length, with its extension-header
/// chain already walked (RFC 8200 4): <see cref="UpperLayerProtocol"/> and
/// <see cref="Payload"/> name what follows the last extension header.
/// </summary>
/// <remarks>
/// The walk understands Hop-by-Hop Options, Routing, Fragment, Destination Options
/// (RFC 8200 4.3-4.6) and the Authentication Header (RFC 4302 2, length in 4-byte units).
/// It stops at any other value, including ESP (50, encrypted) and No Next Header (59);
/// those then appear as the upper-layer protocol.
/// </remarks>
public readonly ref struct Ipv6Packet
{
    private readonly Span<byte> _bytes;
    private readonly int _upperLayerOffset;
    private readonly int _fragmentHeaderOffset;
    private readonly byte _upperLayerProtocol;
    private readonly byte _extensionHeaderCount;

    private Ipv6Packet(Span<byte> bytes, int upperLayerOffset, byte upperLayerProtocol, int fragmentHeaderOffset, byte extensionHeaderCount)
    {
        _bytes = bytes;
        _upperLayerOffset = upperLayerOffset;
        _upperLayerProtocol = upperLayerProtocol;
        _fragmentHeaderOffset = fragmentHeaderOffset;
        _extensionHeaderCount = extensionHeaderCount;
    }

    public Span<byte> Bytes => _bytes;

    public ref Ipv6Header Header => ref Wire.As<Ipv6Header>(_bytes);

    /// <summary>Next Header value of the last header in the chain.</summary>
    public byte UpperLayerProtocol => _upperLayerProtocol;

    /// <summary>Offset of the upper-layer header from the start of the IPv6 header.</summary>
    public int UpperLayerOffset => _upperLayerOffset;

    public int ExtensionHeaderCount => _extensionHeaderCount;

    /// <summary>The upper-layer header and data.</summary>
    public Span<byte> Payload => _bytes.Slice(_upperLayerOffset);

    public bool HasFragmentHeader => _fragmentHeaderOffset != 0;

    /// <summary>Fragment offset in bytes; 0 without a fragment header (RFC 8200 4.5).</summary>
    public int FragmentOffset => HasFragmentHeader ? BinaryPrimitives.ReadUInt16BigEndian(_bytes.Slice(_fragmentHeaderOffset + 2)) & 0xFFF8 : 0;

    public bool MoreFragments => HasFragmentHeader && (_bytes[_fragmentHeaderOffset + 3] & 1) != 0;

    public uint FragmentIdentification => HasFragmentHeader ? BinaryPrimitives.ReadUInt32BigEndian(_bytes.Slice(_fragmentHeaderOffset + 4)) : 0;

    /// <summary>
    /// Parses a packet. False on a version other than 6, a Payload Length beyond the
    /// buffer, an extension header that runs past the payload, or a Hop-by-Hop header that
    /// is not first (RFC 8200 4.1). Jumbograms (RFC 2675) are not supported: their Payload
    /// Length is 0, so their Hop-by-Hop header does not fit and the parse fails.
    /// </summary>
    public static bool TryParse(Span<byte> bytes, out Ipv6Packet view)
    {
        view = default;
        if ((uint)bytes.Length < Ipv6Header.Size)
        {
            return false;
        }

        ref Ipv6Header h = ref Wire.As<Ipv6Header>(bytes);
        int end = Ipv6Header.Size + h.PayloadLength.Host;
        if (h.Version != 6 || (uint)end > (uint)bytes.Length)
        {
            return false;
        }

        bytes = bytes.Slice(0, end);
        byte next = h.NextHeader;
        int offset = Ipv6Header.Size;
        int fragment = 0;
        int count = 0;
        while (true)
        {
            int length;
            switch (next)
            {
                case IpProtocol.HopByHopOptions when count != 0:
                    return false;
                case IpProtocol.HopByHopOptions:
                case IpProtocol.Ipv6Routing:
                case IpProtocol.Ipv6DestinationOptions:
                    if ((uint)(offset + 2) > (uint)end)
                    {
                        return false;
                    }

                    length = (bytes[offset + 1] + 1) * 8;
                    break;
                case IpProtocol.Ipv6Fragment:
                    fragment = offset;
                    length = 8;
                    break;
                case IpProtocol.AuthenticationHeader:
                    if ((uint)(offset + 2) > (uint)end)
                    {
                        return false;
                    }

                    length = (bytes[offset + 1] + 2) * 4;
                    break;
                default:
                    view = new Ipv6Packet(bytes, offset, next, fragment, (byte)Math.Min(count, byte.MaxValue));
                    return true;
            }

            if ((uint)(offset + length) > (uint)end)
            {
                return false;
            }

            next = bytes[offset];
            offset += length;
            count++;
        }
    }
}
