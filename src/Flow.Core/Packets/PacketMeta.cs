using System.Runtime.InteropServices;

namespace Flow;

/// <summary>
/// Per-packet metadata, 64 bytes in a private array of its pool, one entry per frame (the role
/// of DPDK's rte_mbuf and VPP's vlib_buffer_t). A <see cref="Packet"/> points here; the frame
/// with the packet bytes is wherever <see cref="Frame"/> says.
/// </summary>
/// <remarks>
/// <code>
///  0               2               4               6               8
///  +---------------+---------------+---------------+---------------+
///  | DataOffset    | Length        | InputPort     | Flags         |
///  +---------------+---------------+---------------+---------------+  8
///  | L2Offset      | L3Offset      | L4Offset      | PoolId        |
///  +---------------+---------------+---------------+---------------+ 16
///  | Frame (address of the frame's first byte)                     |
///  +---------------------------------------------------------------+ 24
///  | UserWord                                                      |
///  +-------------------------------+---------------+---------------+ 32
///  | Hash                          | VlanTci       | FrameSize     |
///  +-------------------------------+---------------+---------------+ 40
///  | Timestamp (ns)                                                |
///  +---------------------------------------------------------------+ 48
///  | Sequence (free for stages: tagging, reassembly, user data)    |
///  +-------------------------------+-------------------------------+ 56
///  | NextHop                       | Owner (pool bookkeeping)      |
///  +-------------------------------+-------------------------------+ 64
/// </code>
/// The metadata never lives in the frames (ADR 007): frames may be memory a peer process can
/// write (a memif region), and nothing a peer writes may move Flow's own reads and writes.
/// Frame, frame size and pool are set once by the pool and read-only to everyone else, so
/// <see cref="Packet.Data"/> is always a span inside the frame. Offsets L2/L3/L4 are relative to
/// the start of packet data, so prepending or stripping a header moves them with
/// <see cref="DataOffset"/>. Frames are at most 64 KiB.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct PacketMeta
{
    /// <summary>Bytes of metadata per packet.</summary>
    public const int Size = 64;

    /// <summary>Offset of the first data byte from the start of the frame.</summary>
    [FieldOffset(0)] public ushort DataOffset;
    /// <summary>Bytes of packet data.</summary>
    [FieldOffset(2)] public ushort Length;
    /// <summary>Index of the port (backend queue) the packet arrived on.</summary>
    [FieldOffset(4)] public ushort InputPort;
    [FieldOffset(6)] public PacketFlags Flags;
    [FieldOffset(8)] public ushort L2Offset;
    [FieldOffset(10)] public ushort L3Offset;
    [FieldOffset(12)] public ushort L4Offset;
    [FieldOffset(14)] internal ushort PoolIdField;
    [FieldOffset(16)] internal byte* FrameField;
    /// <summary>A word for user stages.</summary>
    [FieldOffset(24)] public ulong UserWord;
    /// <summary>Flow hash (RSS or software), 0 when not computed.</summary>
    [FieldOffset(32)] public uint Hash;
    /// <summary>802.1Q TCI when <see cref="PacketFlags.VlanStripped"/> is set.</summary>
    [FieldOffset(36)] public ushort VlanTci;
    [FieldOffset(38)] internal ushort FrameSizeField;
    /// <summary>Receive time in nanoseconds when a backend provides it.</summary>
    [FieldOffset(40)] public long Timestamp;
    [FieldOffset(48)] public ulong Sequence;
    /// <summary>Next-hop slot written by routing stages and read by the stages after them.</summary>
    [FieldOffset(56)] public uint NextHop;
    /// <summary>
    /// Pool bookkeeping: <see cref="PacketPool.AllocatedCanary"/> while a frame is handed out,
    /// something else while it is free. Lets a pool count and refuse a double free (DPDK's mbuf
    /// "fence" idea, kept in release builds because it is one compare per freed packet).
    /// </summary>
    [FieldOffset(60)] internal uint Owner;

    /// <summary>Registry id of the pool that owns the frame; set once when the pool is made.</summary>
    public readonly ushort PoolId => PoolIdField;

    /// <summary>Address of the frame's first byte (headroom, then data); set once when the pool is made.</summary>
    public readonly byte* Frame => FrameField;

    /// <summary>Bytes in the frame; set once when the pool is made.</summary>
    public readonly ushort FrameSize => FrameSizeField;
}
