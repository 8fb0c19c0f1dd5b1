using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Flow.Protocols;
using Flow.Protocols.Ipv4;

namespace Flow.Stages.Ipv4.Internal;

/// <summary>
/// The arithmetic and header writing of IPv4 fragmentation (RFC 791 3.2, "an example
/// fragmentation procedure"; RFC 1812 5.2.6), apart from packets and pools so tests and the
/// stage share one definition.
/// </summary>
/// <remarks>
/// A datagram of <c>P</c> payload bytes whose header is <c>H</c> bytes (<c>C</c> bytes with only
/// the copied options) leaves as a first fragment of <see cref="FirstPiece"/> payload bytes behind
/// the whole header, then pieces of <see cref="LaterPiece"/> bytes behind the short header, the
/// last piece taking what remains. Every piece but the last is a multiple of 8 bytes, since the
/// offset field counts 8-byte units. Offsets add to the datagram's own offset, and the last
/// piece keeps the datagram's MF bit, so a fragment can be fragmented again.
/// </remarks>
internal static unsafe class Ipv4Fragmenter
{
    /// <summary>The More Fragments flag in host order (RFC 791 3.1).</summary>
    public const ushort MoreFragmentsBit = 0x2000;

    /// <summary>The offset field in host order, in 8-byte units.</summary>
    public const ushort OffsetMask = 0x1FFF;

    /// <summary>Largest offset plus length of a datagram's payload: 65535 minus a 20-byte header (RFC 791 total length).</summary>
    public const int MaxPayloadEnd = ushort.MaxValue - Ipv4Header.Size;

    /// <summary>Payload bytes of the first fragment: as many 8-byte units as fit behind the whole header.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstPiece(int mtu, int headerLength) => (mtu - headerLength) & ~7;

    /// <summary>Payload bytes of each later fragment: as many 8-byte units as fit behind the copied-options header.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LaterPiece(int mtu, int copiedHeaderLength) => (mtu - copiedHeaderLength) & ~7;

    /// <summary>Fragments a payload of <paramref name="payload"/> bytes becomes (at least 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Count(int payload, int first, int later) =>
        payload <= first ? 1 : 1 + (payload - first + later - 1) / later;

    /// <summary>
    /// Writes the header later fragments carry into <paramref name="template"/> (60 bytes): the
    /// fixed 20 bytes of <paramref name="header"/> and, of its options, only those whose type has
    /// the copy flag (RFC 791 3.1: "copied flag ... 1 = copied"), padded with End of Option List
    /// to a multiple of 4 bytes; IHL is set to match. Returns the template's length.
    /// </summary>
    /// <remarks>
    /// No Operation and End of Option List have the copy flag clear, so they stay in the first
    /// fragment only. An option whose length runs past the header (ipv4_input refuses such
    /// packets) ends the walk: nothing after it is copied.
    /// </remarks>
    public static int WriteCopiedHeader(byte* header, int headerLength, byte* template)
    {
        Unsafe.CopyBlockUnaligned(template, header, Ipv4Header.Size);
        int written = Ipv4Header.Size;
        int at = Ipv4Header.Size;
        while (at < headerLength)
        {
            byte type = header[at];
            if (type == Ipv4OptionType.EndOfList)
            {
                break;
            }
            if (type == Ipv4OptionType.NoOperation)
            {
                at++;
                continue;
            }
            if (at + 1 >= headerLength)
            {
                break;
            }
            int length = header[at + 1];
            if (length < 2 || at + length > headerLength)
            {
                break;
            }
            if ((type & 0x80) != 0)
            {
                Unsafe.CopyBlockUnaligned(template + written, header + at, (uint)length);
                written += length;
            }
            at += length;
        }
        while ((written & 3) != 0)
        {
            template[written++] = Ipv4OptionType.EndOfList;
        }
        template[0] = (byte)(0x40 | written >> 2);
        return written;
    }

    /// <summary>
    /// Completes a fragment's header in place: total length, flags and offset (DF is clear here:
    /// a DF datagram is never fragmented), then the checksum computed afresh over the header.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FinishHeader(byte* header, int headerLength, int payload, ushort flagsAndOffset)
    {
        BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(header + 2, 2), (ushort)(headerLength + payload));
        BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(header + 6, 2), flagsAndOffset);
        header[10] = 0;
        header[11] = 0;
        // Compute yields 0x0000 (never 0xFFFF) for a header whose other words sum to 0xFFFF,
        // which is what a receiver's check (sum == 0xFFFF) expects (RFC 1071, RFC 1624 3).
        Unsafe.WriteUnaligned(header + 10, Checksum.Compute(new ReadOnlySpan<byte>(header, headerLength)));
    }
}
