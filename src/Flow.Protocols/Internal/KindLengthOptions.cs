using System.Runtime.CompilerServices;

namespace Flow.Protocols.Internal;

/// <summary>
/// The option encoding shared by IPv4 (RFC 791 3.1) and TCP (RFC 9293 3.1): kind 0 ends
/// the list, kind 1 is a one-byte no-op, every other kind is followed by a length byte that
/// counts the kind and length bytes too, so it is at least 2.
/// </summary>
internal static class KindLengthOptions
{
    public const byte EndOfList = 0;
    public const byte NoOperation = 1;

    /// <summary>True when every option lies wholly inside <paramref name="options"/>.</summary>
    public static bool AreWellFormed(ReadOnlySpan<byte> options)
    {
        int offset = 0;
        while (TryReadNext(options, ref offset, out _, out _))
        {
        }

        return offset >= 0;
    }

    /// <summary>
    /// Reads the option at <paramref name="offset"/> and advances past it. Returns false at
    /// the end of the list; <paramref name="offset"/> becomes -1 when an option ran past the
    /// end (malformed), so <see cref="AreWellFormed"/> can tell end from error.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadNext(ReadOnlySpan<byte> options, scoped ref int offset, out byte kind, out ReadOnlySpan<byte> value)
    {
        value = default;
        kind = EndOfList;
        while ((uint)offset < (uint)options.Length)
        {
            kind = options[offset];
            if (kind == EndOfList)
            {
                offset = options.Length;
                return false;
            }

            if (kind == NoOperation)
            {
                offset++;
                continue;
            }

            if ((uint)(offset + 1) >= (uint)options.Length)
            {
                offset = -1;
                return false;
            }

            int length = options[offset + 1];
            if (length < 2 || (uint)length > (uint)(options.Length - offset))
            {
                offset = -1;
                return false;
            }

            value = options.Slice(offset + 2, length - 2);
            offset += length;
            return true;
        }

        return false;
    }
}
