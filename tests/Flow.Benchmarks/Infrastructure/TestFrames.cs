using System.Buffers.Binary;

namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// The frames the benchmarks write themselves, so a receiver can prove each one intact:
/// <code>
///  0      14          34       42       46        54 ............ length
///  | eth  | IPv4      | UDP    | "FLOW" | seq (BE) | pattern(seq, i)  |
/// </code>
/// IPv4 198.18.0.1 → 198.18.0.2 (the benchmarking range), UDP 9 → 9, header checksum valid,
/// lengths matching the frame. The pattern byte at offset i is <c>(seq × 31 + i) mod 256</c>, so
/// a frame swapped with another, shifted, truncated or stale fails the check.
/// </summary>
internal static class TestFrames
{
    public const int HeaderLength = 42;
    public const int SequenceOffset = HeaderLength + 4;
    public const int MinLength = 64;
    private const uint Magic = 0x464C4F57; // "FLOW"

    /// <summary>A 64..1514-byte IPv4/UDP frame from <paramref name="source"/> to <paramref name="destination"/> with sequence <paramref name="sequence"/>.</summary>
    public static void Write(Span<byte> frame, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> source, ulong sequence)
    {
        WriteHeaders(frame, destination, source);
        BinaryPrimitives.WriteUInt32BigEndian(frame[HeaderLength..], Magic);
        BinaryPrimitives.WriteUInt64BigEndian(frame[SequenceOffset..], sequence);
        for (int i = SequenceOffset + 8; i < frame.Length; i++)
        {
            frame[i] = Pattern(sequence, i);
        }
    }

    public static byte[] Make(ReadOnlySpan<byte> destination, ReadOnlySpan<byte> source, int length, ulong sequence)
    {
        var frame = new byte[length];
        Write(frame, destination, source, sequence);
        return frame;
    }

    /// <summary>Ethernet, IPv4 and UDP headers for a frame of <c>frame.Length</c> bytes (also testpmd txonly's addresses).</summary>
    public static void WriteHeaders(Span<byte> frame, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> source)
    {
        destination.CopyTo(frame);
        source.CopyTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], 0x0800);
        Span<byte> ip = frame.Slice(14, 20);
        ip.Clear();
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(frame.Length - 14));
        ip[8] = 64;
        ip[9] = 17;
        ip[12] = 198; ip[13] = 18; ip[14] = 0; ip[15] = 1;
        ip[16] = 198; ip[17] = 18; ip[18] = 0; ip[19] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], HeaderChecksum(ip));
        Span<byte> udp = frame.Slice(34, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(frame.Length - 34));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
    }

    /// <summary>Replaces the IPv4 source and destination of a <see cref="Write"/> frame and fixes the header checksum.</summary>
    public static void SetAddresses(Span<byte> frame, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        Span<byte> ip = frame.Slice(14, 20);
        source.CopyTo(ip[12..]);
        destination.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], HeaderChecksum(ip));
    }

    /// <summary>IPv4 with a right header checksum and a total length that matches the frame.</summary>
    public static bool HeadersValid(ReadOnlySpan<byte> frame) =>
        frame.Length >= HeaderLength && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x0800 &&
        BinaryPrimitives.ReadUInt16BigEndian(frame[16..]) <= frame.Length - 14 && HeaderChecksum(frame.Slice(14, 20)) == 0;

    /// <summary>True when <paramref name="frame"/> is a whole <see cref="Write"/> frame; its sequence in <paramref name="sequence"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> frame, out ulong sequence)
    {
        sequence = 0;
        if (frame.Length < MinLength || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800 ||
            BinaryPrimitives.ReadUInt16BigEndian(frame[16..]) != frame.Length - 14 ||
            HeaderChecksum(frame.Slice(14, 20)) != 0 ||
            BinaryPrimitives.ReadUInt32BigEndian(frame[HeaderLength..]) != Magic)
        {
            return false;
        }
        sequence = BinaryPrimitives.ReadUInt64BigEndian(frame[SequenceOffset..]);
        for (int i = SequenceOffset + 8; i < frame.Length; i++)
        {
            if (frame[i] != Pattern(sequence, i))
            {
                return false;
            }
        }
        return true;
    }

    public static byte[] Mac(string text) => Convert.FromHexString(text.Replace(":", ""));

    private static byte Pattern(ulong sequence, int offset) => (byte)(sequence * 31 + (ulong)offset);

    /// <summary>The IPv4 header checksum over <paramref name="header"/>; 0 when the header's own checksum is right.</summary>
    public static ushort HeaderChecksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
