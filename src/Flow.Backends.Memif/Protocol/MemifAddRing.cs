using System.Runtime.InteropServices;

namespace Flow.Backends.Memif.Protocol;

/// <summary>ADD_RING (client → server), with the ring's eventfd as SCM_RIGHTS.</summary>
/// <remarks>
/// <code>
///  0       2       4       6               10  11      13
///  +-------+-------+-------+---------------+---+-------+
///  | flags | index | region| offset (u32)  |log| priv  |
///  |       |       |       | of the header |2sz| hdr sz|
///  +-------+-------+-------+---------------+---+-------+
/// </code>
/// <c>flags</c> bit 0 (<see cref="MemifConstants.AddRingFlagS2M"/>) marks a client→server
/// ring; otherwise the ring is server→client (M2S). <c>offset</c> locates the ring header
/// inside <c>region</c>.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 13)]
internal struct MemifAddRing
{
    [FieldOffset(0)] public ushort Flags;
    [FieldOffset(2)] public ushort Index;
    [FieldOffset(4)] public ushort Region;
    [FieldOffset(6)] public uint Offset;
    [FieldOffset(10)] public byte Log2RingSize;
    [FieldOffset(11)] public ushort PrivateHeaderSize;
}
