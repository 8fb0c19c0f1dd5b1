using System.Buffers.Binary;

namespace Flow.TestKit.Conformance;

/// <summary>
/// The frames the conformance suite sends: each carries who sent it, its sequence number, a
/// pattern that differs per frame and per byte, and a checksum over everything before it, so a
/// receiver proves the bytes arrived intact without keeping a copy of what was sent.
/// <code>
///  0      6      12    14          18                26                    len-4     len
///  +------+------+-----+-----------+-----------------+---------------------+---------+
///  | dst  | src  |88B5 | source id | sequence (BE)   | (sequence + 7·i)    | FNV-1a  |
///  +------+------+-----+-----------+-----------------+---------------------+---------+
/// </code>
/// 0x88B5 is the IEEE local experimental ethertype: a kernel on the path ignores it.
/// </summary>
public static class ConformanceFrames
{
    public const ushort EtherType = 0x88B5;
    public const int SourceOffset = 14;
    public const int SequenceOffset = 18;
    public const int PatternOffset = 26;

    /// <summary>Smallest frame that holds the header, the tag and the checksum.</summary>
    public const int MinLength = PatternOffset + 4;

    private static ReadOnlySpan<byte> Destination => [0x02, 0, 0, 0, 0xC0, 0x02];

    private static ReadOnlySpan<byte> Source => [0x02, 0, 0, 0, 0xC0, 0x01];

    /// <summary>Writes the frame of (<paramref name="source"/>, <paramref name="sequence"/>) over all of <paramref name="frame"/>.</summary>
    public static void Write(Span<byte> frame, uint source, long sequence)
    {
        Destination.CopyTo(frame);
        Source.CopyTo(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherType);
        BinaryPrimitives.WriteUInt32BigEndian(frame[SourceOffset..], source);
        BinaryPrimitives.WriteInt64BigEndian(frame[SequenceOffset..], sequence);
        byte seed = (byte)(sequence ^ source);
        for (int i = PatternOffset; i < frame.Length - 4; i++)
        {
            frame[i] = (byte)(seed + 7 * i);
        }
        BinaryPrimitives.WriteUInt32BigEndian(frame[^4..], Fnv1a(frame[..^4]));
    }

    /// <summary>Whether <paramref name="frame"/> is one of the suite's (by ethertype and length).</summary>
    public static bool IsConformanceFrame(ReadOnlySpan<byte> frame) =>
        frame.Length >= MinLength && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == EtherType;

    public static uint SourceOf(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt32BigEndian(frame[SourceOffset..]);

    public static long SequenceOf(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt64BigEndian(frame[SequenceOffset..]);

    /// <summary>Whether the checksum at the end matches the bytes before it.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> frame) =>
        BinaryPrimitives.ReadUInt32BigEndian(frame[^4..]) == Fnv1a(frame[..^4]);

    private static uint Fnv1a(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }
        return hash;
    }
}
