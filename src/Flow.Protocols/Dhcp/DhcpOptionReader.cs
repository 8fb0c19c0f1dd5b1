namespace Flow.Protocols.Dhcp;

/// <summary>
/// Reads DHCP options in order (RFC 2132 2): code 0 is a one-byte pad, 255 ends the list,
/// every other code is followed by a length byte that counts only the data.
/// </summary>
public ref struct DhcpOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _offset;

    public DhcpOptionReader(ReadOnlySpan<byte> options)
    {
        _options = options;
        _offset = 0;
    }

    /// <summary>True when the last <see cref="TryReadNext"/> stopped at an option running past the buffer.</summary>
    public readonly bool IsMalformed => _offset < 0;

    /// <summary>True when the last <see cref="TryReadNext"/> stopped at an End option.</summary>
    public readonly bool ReachedEnd => _offset == int.MaxValue;

    /// <summary>The next option's code and data; false at End, at the end of the buffer, or at a malformed option.</summary>
    public bool TryReadNext(out byte code, out ReadOnlySpan<byte> data)
    {
        data = default;
        code = DhcpOptionCode.End;
        while ((uint)_offset < (uint)_options.Length)
        {
            code = _options[_offset];
            if (code == DhcpOptionCode.Pad)
            {
                _offset++;
                continue;
            }

            if (code == DhcpOptionCode.End)
            {
                _offset = int.MaxValue;
                return false;
            }

            if ((uint)(_offset + 1) >= (uint)_options.Length)
            {
                _offset = -1;
                return false;
            }

            int length = _options[_offset + 1];
            if ((uint)length > (uint)(_options.Length - _offset - 2))
            {
                _offset = -1;
                return false;
            }

            data = _options.Slice(_offset + 2, length);
            _offset += 2 + length;
            return true;
        }

        return false;
    }
}
