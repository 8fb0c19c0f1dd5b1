using System.Runtime.InteropServices;

namespace Flow.Protocols.Ipv6;

/// <summary>The fixed 40-byte IPv6 header (RFC 8200 3).</summary>
/// <remarks>
/// <code>
/// +-------+---------------+---------------------------------------+
/// |Version| Traffic Class |             Flow Label                |
/// +-------+---------------+-------+---------------+---------------+
/// |         Payload Length        |  Next Header  |   Hop Limit   |
/// +-------------------------------+---------------+---------------+
/// |                     Source Address (16)                       |
/// |                  Destination Address (16)                     |
/// +---------------------------------------------------------------+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct Ipv6Header
{
    public const int Size = 40;

    public NetU32 VersionClassAndFlowLabel;

    /// <summary>Bytes after this header, extension headers included.</summary>
    public NetU16 PayloadLength;
    public byte NextHeader;
    public byte HopLimit;
    public Ipv6Address Source;
    public Ipv6Address Destination;

    public readonly int Version => (int)(VersionClassAndFlowLabel.Host >> 28);

    public readonly byte TrafficClass => (byte)(VersionClassAndFlowLabel.Host >> 20);

    public readonly uint FlowLabel => VersionClassAndFlowLabel.Host & 0xFFFFF;
}
