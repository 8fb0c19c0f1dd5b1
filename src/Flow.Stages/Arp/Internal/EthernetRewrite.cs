using System.Runtime.CompilerServices;
using Flow.Protocols;
using Flow.Protocols.Ethernet;

namespace Flow.Stages.Arp.Internal;

/// <summary>The neighbour rewrite: a fresh Ethernet header right in front of the IPv4 header.</summary>
internal static class EthernetRewrite
{
    /// <summary>
    /// Writes destination <paramref name="destination"/>, source <paramref name="source"/>, type
    /// IPv4 in the 14 bytes before the L3 offset (the old L2 header, or headroom) and makes the
    /// packet start there: L2 offset 0, L3 offset 14. False when the frame has no 14 bytes before
    /// the IPv4 header (the packet is unchanged then).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe bool TryWrite(Packet packet, MacAddress destination, MacAddress source)
    {
        ref PacketMeta meta = ref packet.Meta;
        int start = meta.DataOffset + meta.L3Offset - EthernetHeader.Size;
        if (start < 0)
        {
            return false;
        }
        ref EthernetHeader header = ref Unsafe.AsRef<EthernetHeader>(meta.Frame + start);
        header.Destination = destination;
        header.Source = source;
        header.EtherType = new NetU16(EtherType.Ipv4);
        int moved = start - meta.DataOffset;
        meta.DataOffset = (ushort)start;
        meta.Length = (ushort)(meta.Length - moved);
        if (meta.L4Offset != 0)
        {
            meta.L4Offset = (ushort)(meta.L4Offset - moved);
        }
        meta.L2Offset = 0;
        meta.L3Offset = EthernetHeader.Size;
        meta.Flags |= PacketFlags.L2Valid;
        return true;
    }
}
