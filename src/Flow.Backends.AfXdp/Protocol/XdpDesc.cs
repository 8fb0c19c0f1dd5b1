using System.Runtime.InteropServices;

namespace Flow.Backends.AfXdp.Protocol;

/// <summary>
/// An rx or tx ring entry (<c>struct xdp_desc</c>, linux/if_xdp.h).
/// </summary>
/// <remarks>
/// <code>
///  0                               8               12              16
///  +-------------------------------+---------------+---------------+
///  | Addr (UMEM offset of data)    | Len           | Options       |
///  +-------------------------------+---------------+---------------+
/// </code>
/// In aligned-chunk mode <c>Addr</c> lies inside the chunk <c>Addr &amp; ~(chunkSize - 1)</c>;
/// on rx it already includes the UMEM headroom and <c>XDP_PACKET_HEADROOM</c>.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct XdpDesc
{
    public const int Size = 16;

    [FieldOffset(0)] public ulong Addr;
    [FieldOffset(8)] public uint Len;
    [FieldOffset(12)] public uint Options;
}
