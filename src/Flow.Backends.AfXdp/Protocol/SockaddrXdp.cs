using System.Runtime.InteropServices;

namespace Flow.Backends.AfXdp.Protocol;

/// <summary>
/// Address for <c>bind(2)</c> of an AF_XDP socket (<c>struct sockaddr_xdp</c>).
/// </summary>
/// <remarks>
/// <code>
///  0               2               4                               8
///  +---------------+---------------+-------------------------------+
///  | Family (44)   | Flags         | Ifindex                       |
///  +---------------+---------------+-------------------------------+  8
///  | QueueId                       | SharedUmemFd                  |
///  +-------------------------------+-------------------------------+ 16
/// </code>
/// Flags: <c>XDP_SHARED_UMEM</c> 1, <c>XDP_COPY</c> 2, <c>XDP_ZEROCOPY</c> 4,
/// <c>XDP_USE_NEED_WAKEUP</c> 8.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct SockaddrXdp
{
    public const int Size = 16;

    [FieldOffset(0)] public ushort Family;
    [FieldOffset(2)] public ushort Flags;
    [FieldOffset(4)] public uint Ifindex;
    [FieldOffset(8)] public uint QueueId;
    [FieldOffset(12)] public uint SharedUmemFd;
}
