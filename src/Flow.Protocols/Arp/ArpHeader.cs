using System.Runtime.InteropServices;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Protocols.Arp;

/// <summary>An ARP packet for Ethernet and IPv4 (RFC 826), 28 bytes.</summary>
/// <remarks>
/// <code>
/// +---------------+---------------+-------+-------+---------------+
/// | HTYPE (1)     | PTYPE (0x0800)| HLEN 6| PLEN 4| OPER          |
/// +---------------+---------------+-------+-------+---------------+
/// | SHA (6)                       | SPA (4)       |
/// +-------------------------------+---------------+
/// | THA (6)                       | TPA (4)       |
/// +-------------------------------+---------------+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct ArpHeader
{
    public const int Size = 28;

    /// <summary>Hardware type 1, Ethernet (RFC 826; IANA ARP parameters).</summary>
    public const ushort EthernetHardwareType = 1;

    public NetU16 HardwareType;
    public NetU16 ProtocolType;
    public byte HardwareLength;
    public byte ProtocolLength;
    public NetU16 Operation;
    public MacAddress SenderHardwareAddress;
    public Ipv4Address SenderProtocolAddress;
    public MacAddress TargetHardwareAddress;
    public Ipv4Address TargetProtocolAddress;
}
