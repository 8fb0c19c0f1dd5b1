using System.Runtime.InteropServices;

namespace Flow.Backends.AfXdp.Protocol;

/// <summary>
/// Answer of <c>getsockopt(SOL_XDP, XDP_MMAP_OFFSETS)</c> (<c>struct xdp_mmap_offsets</c>).
/// </summary>
/// <remarks>
/// <code>
///  0                 32                64                96               128
///  +-----------------+-----------------+-----------------+-----------------+
///  | Rx ring offsets | Tx ring offsets | Fill offsets    | Completion offs.|
///  +-----------------+-----------------+-----------------+-----------------+
/// </code>
/// Kernels before 5.4 answer 96 bytes without the Flags fields; Flow needs the flags
/// (need-wakeup) and refuses the shorter answer.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct XdpMmapOffsets
{
    public const int Size = 4 * XdpRingOffset.Size;

    [FieldOffset(0)] public XdpRingOffset Rx;
    [FieldOffset(32)] public XdpRingOffset Tx;
    [FieldOffset(64)] public XdpRingOffset Fill;
    [FieldOffset(96)] public XdpRingOffset Completion;
}
