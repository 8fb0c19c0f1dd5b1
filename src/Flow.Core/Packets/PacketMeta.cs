using System.Runtime.InteropServices;

namespace Flow;

/// <summary>
/// Per-packet metadata kept in the first 64 bytes of every frame, in the frame's headroom
/// (the role of DPDK's rte_mbuf and VPP's vlib_buffer_t).
/// </summary>
/// <remarks>
/// <code>
///  0               2               4               6               8
///  +---------------+---------------+---------------+---------------+
///  | DataOffset    | Length        | InputPort     | Flags         |
///  +---------------+---------------+---------------+---------------+  8
///  | L2Offset      | L3Offset      | L4Offset      | PoolId        |
///  +---------------+---------------+---------------+---------------+ 16
///  | FrameIndex                    | NextHop                       |
///  +-------------------------------+-------------------------------+ 24
///  | UserWord                                                      |
///  +-------------------------------+---------------+---------------+ 32
///  | Hash                          | VlanTci       | FrameSize     |
///  +-------------------------------+---------------+---------------+ 40
///  | Timestamp (ns)                                                |
///  +---------------------------------------------------------------+ 48
///  | Sequence (free for stages: tagging, reassembly, user data)    |
///  +---------------------------------------------------------------+ 56
///  | Owner (pool bookkeeping: allocated-state canary)              |
///  +---------------------------------------------------------------+ 64
/// </code>
/// Offsets L2/L3/L4 are relative to the start of packet data, so prepending or stripping
/// a header moves them with <see cref="DataOffset"/>. Frames are at most 64 KiB.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct PacketMeta
{
    /// <summary>Bytes of metadata at the start of every frame.</summary>
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
    /// <summary>Registry id of the pool that owns the frame; set once when the pool is made.</summary>
    [FieldOffset(14)] public ushort PoolId;
    /// <summary>Index of the frame within its pool; set once when the pool is made.</summary>
    [FieldOffset(16)] public uint FrameIndex;
    /// <summary>Next-hop slot written by routing stages and read by the stages after them.</summary>
    [FieldOffset(20)] public uint NextHop;
    /// <summary>A word for user stages.</summary>
    [FieldOffset(24)] public ulong UserWord;
    /// <summary>Flow hash (RSS or software), 0 when not computed.</summary>
    [FieldOffset(32)] public uint Hash;
    /// <summary>802.1Q TCI when <see cref="PacketFlags.VlanStripped"/> is set.</summary>
    [FieldOffset(36)] public ushort VlanTci;
    /// <summary>Bytes in the whole frame, metadata included; set once when the pool is made.</summary>
    [FieldOffset(38)] public ushort FrameSize;
    /// <summary>Receive time in nanoseconds when a backend provides it.</summary>
    [FieldOffset(40)] public long Timestamp;
    [FieldOffset(48)] public ulong Sequence;
    /// <summary>
    /// Pool bookkeeping: <see cref="PacketPool.AllocatedCanary"/> while a frame is handed out,
    /// something else while it is free. Lets a pool count and refuse a double free (DPDK's mbuf
    /// "fence" idea, kept in release builds because it is one compare per freed packet).
    /// </summary>
    [FieldOffset(56)] internal ulong Owner;
}
