using System.Buffers.Binary;

namespace Flow.Samples.Iperf3OnFlow;

/// <summary>
/// The front of each UDP datagram of a test (iperf_udp.c), big-endian; the rest of the datagram is filler:
/// <code>
///  0       4       8                 12 or 16
///  +-------+-------+-----------------+
///  |  sec  | usec  | packet count    |  the count is 32 bits, or 64 with udp_counters_64bit
///  +-------+-------+-----------------+
/// </code>
/// The time is when the sender sent it (only differences matter: the receiver's jitter, RFC 1889
/// A.8); the count starts at 1 and tells the receiver what was lost or came out of order.
/// </summary>
public static class Iperf3UdpHeader
{
    public static int Size(bool wideCounter) => wideCounter ? 16 : 12;

    public static void Write(Span<byte> datagram, long sentMicroseconds, long count, bool wideCounter)
    {
        BinaryPrimitives.WriteUInt32BigEndian(datagram, (uint)(sentMicroseconds / 1_000_000));
        BinaryPrimitives.WriteUInt32BigEndian(datagram[4..], (uint)(sentMicroseconds % 1_000_000));
        if (wideCounter)
        {
            BinaryPrimitives.WriteInt64BigEndian(datagram[8..], count);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(datagram[8..], (uint)count);
        }
    }

    public static bool TryRead(ReadOnlySpan<byte> datagram, bool wideCounter, out long sentMicroseconds, out long count)
    {
        if (datagram.Length < Size(wideCounter))
        {
            sentMicroseconds = count = 0;
            return false;
        }
        sentMicroseconds = BinaryPrimitives.ReadUInt32BigEndian(datagram) * 1_000_000L + BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        count = wideCounter ? BinaryPrimitives.ReadInt64BigEndian(datagram[8..]) : BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]);
        return true;
    }
}
