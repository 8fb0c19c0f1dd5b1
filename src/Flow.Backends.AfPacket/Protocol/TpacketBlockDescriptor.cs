using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

/// <summary>
/// <c>struct tpacket_block_desc</c> with its <c>tpacket_hdr_v1</c>: the header of one block of
/// a TPACKET_V3 receive ring. The kernel fills a block with frames, then hands it over by
/// setting <see cref="BlockStatus"/> to <see cref="TpacketStatus.User"/>; user space gives it
/// back by writing <see cref="TpacketStatus.Kernel"/>. Both sides publish through this word.
/// </summary>
/// <remarks>
/// <code>
///  0               4               8               12              16
///  +---------------+---------------+---------------+---------------+
///  | version       | offset_to_priv| block_status  | num_pkts      |
///  +---------------+---------------+---------------+---------------+ 16
///  | offset_to_first_pkt           | blk_len       | (pad)         |
///  +---------------+---------------+---------------+---------------+ 24
///  | seq_num (u64)                 | ts_first_pkt (sec, nsec)      |
///  +-------------------------------+-------------------------------+ 40
///  | ts_last_pkt (sec, nsec)       |
///  +-------------------------------+ 48
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct TpacketBlockDescriptor
{
    public const int Size = 48;

    [FieldOffset(0)] public uint Version;
    [FieldOffset(4)] public uint OffsetToPrivate;
    [FieldOffset(8)] public uint BlockStatus;
    [FieldOffset(12)] public uint PacketCount;
    [FieldOffset(16)] public uint OffsetToFirstPacket;
    [FieldOffset(20)] public uint BlockLength;
    [FieldOffset(24)] public ulong SequenceNumber;
    [FieldOffset(32)] public uint FirstSeconds;
    [FieldOffset(36)] public uint FirstNanoseconds;
    [FieldOffset(40)] public uint LastSeconds;
    [FieldOffset(44)] public uint LastNanoseconds;
}
