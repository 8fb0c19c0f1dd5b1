using System.Runtime.CompilerServices;
using Flow.Protocols.Internal;

namespace Flow.Protocols.Ipv4;

/// <summary>
/// A view over an IPv4 packet: the header with its options and the payload, trimmed to the
/// header's Total Length (so Ethernet padding is not part of <see cref="Payload"/>).
/// </summary>
/// <remarks>
/// The header length validated by TryParse is kept in the view, never re-read from the
/// packet: a peer that shares the memory (client-role memif) could change IHL between parse
/// and use, and every slice below must stay inside the bounds that were checked.
/// </remarks>
public readonly ref struct Ipv4Packet
{
    private readonly Span<byte> _bytes;
    private readonly int _headerLength;

    private Ipv4Packet(Span<byte> bytes, int headerLength)
    {
        _bytes = bytes;
        _headerLength = headerLength;
    }

    /// <summary>Header, options and payload: Total Length bytes (or fewer for a quoted packet).</summary>
    public Span<byte> Bytes => _bytes;

    public ref Ipv4Header Header => ref Wire.As<Ipv4Header>(_bytes);

    /// <summary>IHL in bytes as validated at parse time.</summary>
    public int HeaderLength => _headerLength;

    public Span<byte> Options => _bytes.Slice(Ipv4Header.Size, _headerLength - Ipv4Header.Size);

    public Span<byte> Payload => _bytes.Slice(_headerLength);

    /// <summary>Walks the options in order (RFC 791 3.1 encoding).</summary>
    public Ipv4OptionReader GetOptionReader() => new(Options);

    /// <summary>True when the header checksum verifies (RFC 1812 5.2.2).</summary>
    public bool HasValidChecksum => Checksum.IsValid(_bytes.Slice(0, _headerLength));

    /// <summary>Recomputes the header checksum over header and options.</summary>
    public void UpdateChecksum()
    {
        ref Ipv4Header h = ref Header;
        h.HeaderChecksum = default;
        h.HeaderChecksum = Checksum.Compute(_bytes.Slice(0, _headerLength));
    }

    /// <summary>
    /// Parses a whole packet. False on a version other than 4, IHL &lt; 5, Total Length
    /// shorter than the header or longer than the buffer, or options that run past the
    /// header (RFC 1812 5.2.2 lists the first three as the checks a router must make).
    /// The checksum is not checked here; see <see cref="HasValidChecksum"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParse(Span<byte> bytes, out Ipv4Packet view)
    {
        if ((uint)bytes.Length < Ipv4Header.Size)
        {
            view = default;
            return false;
        }

        ref Ipv4Header h = ref Wire.As<Ipv4Header>(bytes);
        int headerLength = h.HeaderLength;
        uint totalLength = h.TotalLength.Host;
        if (h.Version != 4 || headerLength < Ipv4Header.Size || (uint)headerLength > totalLength || totalLength > (uint)bytes.Length)
        {
            view = default;
            return false;
        }

        if (headerLength > Ipv4Header.Size && !KindLengthOptions.AreWellFormed(bytes.Slice(Ipv4Header.Size, headerLength - Ipv4Header.Size)))
        {
            view = default;
            return false;
        }

        view = new Ipv4Packet(bytes.Slice(0, (int)totalLength), headerLength);
        return true;
    }

    /// <summary>
    /// Parses the packet quoted inside an ICMP error (RFC 792; RFC 1812 4.3.2.3): the
    /// header and its options must be complete, the data may be cut short, so the view
    /// ends at whichever comes first, Total Length or the buffer.
    /// </summary>
    public static bool TryParseQuoted(Span<byte> bytes, out Ipv4Packet view)
    {
        if ((uint)bytes.Length < Ipv4Header.Size)
        {
            view = default;
            return false;
        }

        ref Ipv4Header h = ref Wire.As<Ipv4Header>(bytes);
        int headerLength = h.HeaderLength;
        int totalLength = h.TotalLength.Host;
        if (h.Version != 4 || headerLength < Ipv4Header.Size || headerLength > totalLength || (uint)headerLength > (uint)bytes.Length
            || !KindLengthOptions.AreWellFormed(bytes.Slice(Ipv4Header.Size, headerLength - Ipv4Header.Size)))
        {
            view = default;
            return false;
        }

        view = new Ipv4Packet(bytes.Slice(0, Math.Min(totalLength, bytes.Length)), headerLength);
        return true;
    }
}
