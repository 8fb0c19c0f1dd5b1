using System.Runtime.InteropServices;

namespace Flow.Backends.AfXdp.Protocol;

/// <summary>
/// Argument of <c>setsockopt(SOL_XDP, XDP_UMEM_REG)</c> (<c>struct xdp_umem_reg</c>).
/// </summary>
/// <remarks>
/// <code>
///  0                               8                               16
///  +-------------------------------+-------------------------------+
///  | Addr (page-aligned user area) | Len (bytes)                   |
///  +---------------+---------------+---------------+---------------+ 16
///  | ChunkSize     | Headroom      | Flags         | TxMetadataLen |
///  +---------------+---------------+---------------+---------------+ 32
/// </code>
/// The kernel rejects non-zero bytes it does not know, so the struct is zeroed before use.
/// <c>Headroom</c> is reserved at the front of every chunk, before the kernel's own
/// XDP_PACKET_HEADROOM; the kernel never writes it.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct XdpUmemReg
{
    public const int Size = 32;

    [FieldOffset(0)] public ulong Addr;
    [FieldOffset(8)] public ulong Len;
    [FieldOffset(16)] public uint ChunkSize;
    [FieldOffset(20)] public uint Headroom;
    [FieldOffset(24)] public uint Flags;
    [FieldOffset(28)] public uint TxMetadataLen;
}
