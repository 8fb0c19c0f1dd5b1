using System.Runtime.InteropServices;

namespace Flow.Backends.Memif.Protocol;

/// <summary>
/// One control message: a 16-bit type followed by a packed body, always 128 bytes on the wire
/// (one SOCK_SEQPACKET record; DPDK declares it <c>__rte_packed __rte_aligned(128)</c>).
/// </summary>
/// <remarks>
/// <code>
///  0               2                                                         128
///  +---------------+----------------------------------------------------------+
///  | type (u16)    | body: hello | init | add_region | add_ring | connect |   |
///  |               |       connected | disconnect  (packed, unused = 0)       |
///  +---------------+----------------------------------------------------------+
/// </code>
/// Messages carrying a file descriptor (ADD_REGION: the region's memfd, ADD_RING: the ring's
/// eventfd) pass it as SCM_RIGHTS ancillary data of the same record. Flow zeroes the whole
/// message before filling it, so unused bytes never leak process memory to the peer.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = MemifConstants.MessageSize)]
internal struct MemifMessage
{
    [FieldOffset(0)] public MemifMessageType Type;
    [FieldOffset(2)] public MemifHello Hello;
    [FieldOffset(2)] public MemifInit Init;
    [FieldOffset(2)] public MemifAddRegion AddRegion;
    [FieldOffset(2)] public MemifAddRing AddRing;
    /// <summary>Body of CONNECT (client's interface name) and CONNECTED (server's).</summary>
    [FieldOffset(2)] public MemifConnect Connect;
    [FieldOffset(2)] public MemifDisconnect Disconnect;
}
