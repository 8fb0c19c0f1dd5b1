using System.Runtime.InteropServices;

namespace Flow.Backends.AfXdp.Protocol;

/// <summary>
/// Where one ring's fields lie inside its mmapped area (<c>struct xdp_ring_offset</c>).
/// </summary>
/// <remarks>
/// <code>
///  0               8               16              24              32
///  +---------------+---------------+---------------+---------------+
///  | Producer      | Consumer      | Desc          | Flags         |
///  +---------------+---------------+---------------+---------------+
/// </code>
/// Producer and consumer are u32 indices that only grow (wrapping); Flags holds
/// <c>XDP_RING_NEED_WAKEUP</c>; Desc is the start of the entry array.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct XdpRingOffset
{
    public const int Size = 32;

    [FieldOffset(0)] public ulong Producer;
    [FieldOffset(8)] public ulong Consumer;
    [FieldOffset(16)] public ulong Desc;
    [FieldOffset(24)] public ulong Flags;
}
