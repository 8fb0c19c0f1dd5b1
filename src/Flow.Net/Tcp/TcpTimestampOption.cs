using System.Buffers.Binary;
using Flow.Protocols.Ipv4;

namespace Flow.Net.Tcp;

/// <summary>
/// The timestamps option (RFC 7323 3): kind 8, length 10, the sender's clock (TSval) and the
/// peer's latest clock echoed back (TSecr). Flow's clock ticks once a millisecond from a random
/// offset per connection (RFC 7323 7.1: the clock does not tell one connection about another).
/// </summary>
internal static class TcpTimestampOption
{
    /// <summary>The option as sent: NOP, NOP, kind, length, TSval, TSecr (RFC 7323 appendix A's layout).</summary>
    public const int AlignedLength = 12;

    public static uint Clock(long nowNanoseconds, uint offset) => (uint)(nowNanoseconds / 1_000_000) + offset;

    /// <summary>The option's values if <paramref name="options"/> carries it.</summary>
    public static bool TryRead(ReadOnlySpan<byte> options, out uint value, out uint echo)
    {
        // Every stack sends the aligned layout first; anything else is walked.
        if (options.Length >= AlignedLength && options[0] == 1 && options[1] == 1 && options[2] == 8 && options[3] == 10)
        {
            value = BinaryPrimitives.ReadUInt32BigEndian(options.Slice(4));
            echo = BinaryPrimitives.ReadUInt32BigEndian(options.Slice(8));
            return true;
        }
        var reader = new Ipv4OptionReader(options);
        while (reader.TryReadNext(out byte kind, out ReadOnlySpan<byte> data))
        {
            if (kind == 8 && data.Length == 8)
            {
                value = BinaryPrimitives.ReadUInt32BigEndian(data);
                echo = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(4));
                return true;
            }
        }
        value = 0;
        echo = 0;
        return false;
    }

    /// <summary>Writes the aligned option; returns <see cref="AlignedLength"/>.</summary>
    public static int Write(Span<byte> destination, uint value, uint echo)
    {
        destination[0] = 1;
        destination[1] = 1;
        destination[2] = 8;
        destination[3] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(4), value);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(8), echo);
        return AlignedLength;
    }
}
