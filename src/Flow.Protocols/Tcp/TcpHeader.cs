using System.Runtime.InteropServices;

namespace Flow.Protocols.Tcp;

/// <summary>The fixed 20-byte TCP header (RFC 9293 3.1).</summary>
/// <remarks>
/// <code>
/// +-------------------------------+-------------------------------+
/// |          Source Port          |       Destination Port        |
/// +-------------------------------+-------------------------------+
/// |                        Sequence Number                        |
/// +---------------------------------------------------------------+
/// |                    Acknowledgment Number                      |
/// +-------+-------+---------------+-------------------------------+
/// |  Data |       |C|E|U|A|P|R|S|F|                               |
/// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
/// +-------+-------+---------------+-------------------------------+
/// |           Checksum            |         Urgent Pointer        |
/// +-------------------------------+-------------------------------+
/// |                    Options (Data Offset > 5)                  |
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct TcpHeader
{
    public const int Size = 20;
    public const int MaxSize = 60;

    public NetU16 SourcePort;
    public NetU16 DestinationPort;
    public NetU32 SequenceNumber;
    public NetU32 AcknowledgmentNumber;

    /// <summary>Data offset in the high nibble; the low nibble is reserved.</summary>
    public byte DataOffsetAndReserved;
    public TcpFlags Flags;
    public NetU16 Window;
    public NetU16 Checksum;
    public NetU16 UrgentPointer;

    /// <summary>Header length in bytes (Data Offset counts 32-bit words).</summary>
    public readonly int HeaderLength => (DataOffsetAndReserved >> 4) * 4;
}
