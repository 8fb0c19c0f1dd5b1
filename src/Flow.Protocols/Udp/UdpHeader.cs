using System.Runtime.InteropServices;

namespace Flow.Protocols.Udp;

/// <summary>The 8-byte UDP header (RFC 768).</summary>
/// <remarks>
/// <code>
/// +-------------------------------+-------------------------------+
/// |          Source Port          |       Destination Port        |
/// +-------------------------------+-------------------------------+
/// |            Length             |           Checksum            |
/// +-------------------------------+-------------------------------+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct UdpHeader
{
    public const int Size = 8;

    public NetU16 SourcePort;
    public NetU16 DestinationPort;

    /// <summary>Header plus data, in bytes.</summary>
    public NetU16 Length;
    public NetU16 Checksum;
}
