using System.Runtime.InteropServices;

namespace Flow.Backends.Pcap;

/// <summary>
/// The 16-byte header before every packet record of a classic pcap file, in the file's byte
/// order. <see cref="Fraction"/> is microseconds or nanoseconds as the file's magic says.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Timestamp (Seconds)                      |  0
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            Timestamp (Microseconds or nanoseconds)            |  4
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |              Captured Packet Length (bytes stored)            |  8
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |              Original Packet Length (bytes on the wire)       | 12
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// /                          Packet Data                          /
/// /                  (Captured Packet Length bytes)               /
/// +---------------------------------------------------------------+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public struct PcapRecordHeader
{
    public const int Size = 16;

    /// <summary>
    /// Largest captured length a record may claim: libpcap's MAXIMUM_SNAPLEN (262144). A larger
    /// value means the file is corrupt, not that the packet is big.
    /// </summary>
    public const uint MaxCapturedLength = 262_144;

    public uint Seconds;
    public uint Fraction;
    public uint CapturedLength;
    public uint OriginalLength;
}
