using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

/// <summary>
/// <c>struct packet_mreq</c> for PACKET_ADD_MEMBERSHIP (promiscuous mode lasts as long as the socket).
/// </summary>
/// <remarks>
/// <code>
///  0               4       6       8
///  +---------------+-------+-------+-------------------------------+
///  | mr_ifindex    |mr_type|mr_alen| mr_address[8]                 |
///  +---------------+-------+-------+-------------------------------+ 16
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct PacketMembershipRequest
{
    public const int Size = 16;

    [FieldOffset(0)] public int InterfaceIndex;
    [FieldOffset(4)] public ushort Type;
    [FieldOffset(6)] public ushort AddressLength;
    [FieldOffset(8)] public ulong Address;
}
