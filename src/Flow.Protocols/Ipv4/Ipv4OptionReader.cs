using Flow.Protocols.Internal;

namespace Flow.Protocols.Ipv4;

/// <summary>
/// Reads IPv4 options one by one, skipping no-ops and stopping at end-of-list (RFC 791 3.1).
/// Over options accepted by <see cref="Ipv4Packet.TryParse"/> it never meets a malformed one.
/// </summary>
public ref struct Ipv4OptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _offset;

    public Ipv4OptionReader(ReadOnlySpan<byte> options)
    {
        _options = options;
        _offset = 0;
    }

    /// <summary>The next option's type byte and its data (without the type and length bytes).</summary>
    public bool TryReadNext(out byte type, out ReadOnlySpan<byte> data) =>
        KindLengthOptions.TryReadNext(_options, ref _offset, out type, out data);
}
