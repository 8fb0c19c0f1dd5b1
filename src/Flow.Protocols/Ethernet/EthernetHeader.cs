using System.Runtime.InteropServices;

namespace Flow.Protocols.Ethernet;

/// <summary>
/// The Ethernet II header (IEEE 802.3 3.1.1, DIX framing).
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Destination MAC (6 bytes)                     |
/// +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                               |                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
/// |                    Source MAC (6 bytes)                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     EtherType / TPID          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct EthernetHeader
{
    public const int Size = 14;

    public MacAddress Destination;
    public MacAddress Source;

    /// <summary>The EtherType, or the TPID of the first VLAN tag (see <see cref="EthernetFrame"/>).</summary>
    public NetU16 EtherType;

    /// <summary>Swaps source and destination, the first step of any reply written in place.</summary>
    public void SwapAddresses() => (Destination, Source) = (Source, Destination);
}
