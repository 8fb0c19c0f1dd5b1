using System.Runtime.InteropServices;

namespace Flow.Backends.AfXdp.Protocol;

/// <summary>
/// Answer of <c>getsockopt(SOL_XDP, XDP_STATISTICS)</c> (<c>struct xdp_statistics</c>).
/// </summary>
/// <remarks>
/// <code>
///  0                               8                               16
///  +-------------------------------+-------------------------------+
///  | RxDropped                     | RxInvalidDescs                |
///  +-------------------------------+-------------------------------+ 16
///  | TxInvalidDescs                | RxRingFull                    |
///  +-------------------------------+-------------------------------+ 32
///  | RxFillRingEmptyDescs          | TxRingEmptyDescs              |
///  +-------------------------------+-------------------------------+ 48
/// </code>
/// Kernels before 5.9 fill only the first 24 bytes; the rest then reads zero.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct XdpStatistics
{
    public const int Size = 48;

    [FieldOffset(0)] public ulong RxDropped;
    [FieldOffset(8)] public ulong RxInvalidDescs;
    [FieldOffset(16)] public ulong TxInvalidDescs;
    [FieldOffset(24)] public ulong RxRingFull;
    [FieldOffset(32)] public ulong RxFillRingEmptyDescs;
    [FieldOffset(40)] public ulong TxRingEmptyDescs;
}
