using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Protocols.Dhcp;

/// <summary>
/// The fixed BOOTP part of a DHCP message and the magic cookie, 240 bytes (RFC 2131 2;
/// RFC 2132 2). The options follow.
/// </summary>
/// <remarks>
/// <code>
/// +-------+-------+-------+-------+   op htype hlen hops       (0)
/// |              xid              |                          (4)
/// |     secs      |     flags     |                          (8)
/// |     ciaddr  |  yiaddr  |  siaddr  |  giaddr               (12..27)
/// |     chaddr (16)                                          (28)
/// |     sname (64)                                           (44)
/// |     file (128)                                           (108)
/// |  magic cookie 99.130.83.99    |                          (236)
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct DhcpHeader
{
    public const int Size = 240;

    /// <summary>99.130.83.99 (RFC 2132 2), host order.</summary>
    public const uint MagicCookieValue = 0x63825363;

    public const byte BootRequest = 1;
    public const byte BootReply = 2;

    /// <summary>The broadcast bit of <see cref="Flags"/> (RFC 2131 2, figure 2).</summary>
    public const ushort BroadcastFlag = 0x8000;

    public byte Operation;
    public byte HardwareType;
    public byte HardwareLength;
    public byte Hops;
    public NetU32 TransactionId;
    public NetU16 Seconds;
    public NetU16 Flags;
    public Ipv4Address ClientAddress;
    public Ipv4Address YourAddress;
    public Ipv4Address ServerAddress;
    public Ipv4Address GatewayAddress;
    public fixed byte ClientHardwareAddress[16];
    public fixed byte ServerName[64];
    public fixed byte BootFileName[128];
    public NetU32 MagicCookie;

    /// <summary>The first six bytes of chaddr, the client's MAC for hardware type 1.</summary>
    public MacAddress ClientMac
    {
        readonly get => Unsafe.ReadUnaligned<MacAddress>(ref Unsafe.AsRef(in ClientHardwareAddress[0]));
        set => Unsafe.WriteUnaligned(ref ClientHardwareAddress[0], value);
    }
}
