using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

/// <summary>
/// <c>struct tpacket2_hdr</c>: the header of each frame slot of the TPACKET_V2 transmit ring.
/// User space writes the frame at <see cref="DataOffset"/>, sets <see cref="Length"/>, then
/// publishes with <see cref="Status"/> = <see cref="TpacketStatus.SendRequest"/>; the kernel
/// sets it back to <see cref="TpacketStatus.Available"/> when the frame has left.
/// </summary>
/// <remarks>
/// <code>
///  0               4               8               12      14      16
///  +---------------+---------------+---------------+-------+-------+
///  | tp_status     | tp_len        | tp_snaplen    |tp_mac |tp_net |
///  +---------------+---------------+-------+-------+-------+-------+ 16
///  | tp_sec        | tp_nsec       |vlan_tci|tpid  | padding[4]    |
///  +---------------+---------------+-------+-------+---------------+ 32
///  | frame data (tx: at TPACKET_ALIGN(sizeof(tpacket2_hdr)) = 32)  |
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct Tpacket2Header
{
    public const int Size = 32;

    /// <summary>Where the kernel reads a transmitted frame: TPACKET2_HDRLEN - sizeof(sockaddr_ll) = 52 - 20.</summary>
    public const int DataOffset = 32;

    [FieldOffset(0)] public uint Status;
    [FieldOffset(4)] public uint Length;
    [FieldOffset(8)] public uint SnapLength;
    [FieldOffset(12)] public ushort Mac;
    [FieldOffset(14)] public ushort Net;
    [FieldOffset(16)] public uint Seconds;
    [FieldOffset(20)] public uint Nanoseconds;
    [FieldOffset(24)] public ushort VlanTci;
    [FieldOffset(26)] public ushort VlanTpid;
}
