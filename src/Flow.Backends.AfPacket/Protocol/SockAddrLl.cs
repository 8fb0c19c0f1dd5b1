using System.Runtime.InteropServices;

namespace Flow.Backends.AfPacket;

/// <summary>
/// <c>struct sockaddr_ll</c>: binds an AF_PACKET socket to one interface and protocol.
/// </summary>
/// <remarks>
/// <code>
///  0       2       4               8       10  11  12
///  +-------+-------+---------------+-------+---+---+---------------+
///  |family |proto  | ifindex       |hatype |pkt|len| addr[8]       |
///  +-------+-------+---------------+-------+---+---+---------------+ 20
///           (network order)
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct SockAddrLl
{
    public const int Size = 20;

    [FieldOffset(0)] public ushort Family;
    [FieldOffset(2)] public ushort ProtocolNetworkOrder;
    [FieldOffset(4)] public int InterfaceIndex;
    [FieldOffset(8)] public ushort HardwareType;
    [FieldOffset(10)] public byte PacketType;
    [FieldOffset(11)] public byte AddressLength;
    [FieldOffset(12)] public ulong Address;
}
