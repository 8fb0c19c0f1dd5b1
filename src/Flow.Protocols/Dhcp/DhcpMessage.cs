using Flow.Protocols.Internal;

namespace Flow.Protocols.Dhcp;

/// <summary>A view over a DHCP message: the BOOTP header and the option list (RFC 2131, RFC 2132).</summary>
public readonly ref struct DhcpMessage
{
    private readonly Span<byte> _bytes;

    private DhcpMessage(Span<byte> bytes) => _bytes = bytes;

    public Span<byte> Bytes => _bytes;

    public ref DhcpHeader Header => ref Wire.As<DhcpHeader>(_bytes);

    /// <summary>The option bytes after the magic cookie, up to the end of the UDP payload.</summary>
    public Span<byte> Options => _bytes.Slice(DhcpHeader.Size);

    public DhcpOptionReader GetOptionReader() => new(Options);

    /// <summary>
    /// The data of the first option with <paramref name="code"/>. Long options split across
    /// several instances (RFC 3396) are not concatenated: none of the options Flow uses
    /// exceeds 255 bytes, and joining would need a copy.
    /// </summary>
    public bool TryGetOption(byte code, out ReadOnlySpan<byte> data)
    {
        DhcpOptionReader reader = GetOptionReader();
        while (reader.TryReadNext(out byte c, out data))
        {
            if (c == code)
            {
                return true;
            }
        }

        data = default;
        return false;
    }

    /// <summary>Option 53; false when absent or not one byte long (RFC 2132 9.6).</summary>
    public bool TryGetMessageType(out DhcpMessageType type)
    {
        if (TryGetOption(DhcpOptionCode.MessageType, out ReadOnlySpan<byte> data) && data.Length == 1)
        {
            type = (DhcpMessageType)data[0];
            return true;
        }

        type = default;
        return false;
    }

    /// <summary>
    /// Parses a UDP payload. False when shorter than 240 bytes, when op is neither
    /// BOOTREQUEST nor BOOTREPLY, when the magic cookie is wrong, or when the option list
    /// has an option running past the buffer or no End option (RFC 2131 4.1: the list ends
    /// with End; option overload (52) is not followed).
    /// </summary>
    public static bool TryParse(Span<byte> bytes, out DhcpMessage view)
    {
        if ((uint)bytes.Length < DhcpHeader.Size)
        {
            view = default;
            return false;
        }

        ref DhcpHeader h = ref Wire.As<DhcpHeader>(bytes);
        if (h.Operation is not (DhcpHeader.BootRequest or DhcpHeader.BootReply) || h.MagicCookie.Host != DhcpHeader.MagicCookieValue)
        {
            view = default;
            return false;
        }

        DhcpOptionReader reader = new(bytes.Slice(DhcpHeader.Size));
        while (reader.TryReadNext(out _, out _))
        {
        }

        if (!reader.ReachedEnd)
        {
            view = default;
            return false;
        }

        view = new DhcpMessage(bytes);
        return true;
    }
}
