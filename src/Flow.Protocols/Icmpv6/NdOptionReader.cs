namespace Flow.Protocols.Icmpv6;

/// <summary>
/// Reads Neighbour Discovery options (RFC 4861 4.6): type, length in units of 8 bytes
/// (type and length included), data. A length of zero is malformed (the RFC tells nodes to
/// discard such a packet), as is an option that runs past the buffer.
/// </summary>
public ref struct NdOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _offset;

    public NdOptionReader(ReadOnlySpan<byte> options)
    {
        _options = options;
        _offset = 0;
    }

    /// <summary>True when the last <see cref="TryReadNext"/> stopped at a malformed option.</summary>
    public readonly bool IsMalformed => _offset < 0;

    /// <summary>The next option's type and the bytes after its type and length.</summary>
    public bool TryReadNext(out byte type, out ReadOnlySpan<byte> data)
    {
        if ((uint)_offset >= (uint)_options.Length)
        {
            type = 0;
            data = default;
            return false;
        }

        int remaining = _options.Length - _offset;
        int length = remaining >= 2 ? _options[_offset + 1] * 8 : 0;
        if (length == 0 || length > remaining)
        {
            _offset = -1;
            type = 0;
            data = default;
            return false;
        }

        type = _options[_offset];
        data = _options.Slice(_offset + 2, length - 2);
        _offset += length;
        return true;
    }
}
