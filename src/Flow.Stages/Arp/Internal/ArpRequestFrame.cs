using Flow.Protocols.Arp;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Stages.Arp.Internal;

/// <summary>An ARP request written into a fresh frame of a stage's own pool, with the metadata a tx stage needs.</summary>
internal static class ArpRequestFrame
{
    /// <summary>
    /// Writes a broadcast request from <paramref name="senderMac"/>/<paramref name="sender"/> for
    /// <paramref name="target"/> into <paramref name="packet"/> (sender 0.0.0.0 makes it an RFC
    /// 5227 probe), leaving by input-port id <paramref name="port"/>.
    /// </summary>
    public static unsafe void Write(Packet packet, MacAddress senderMac, Ipv4Address sender, Ipv4Address target, ushort port)
    {
        Span<byte> frame = new(packet.DataPointer, packet.Tailroom + packet.Length);
        ArpBuilder.TryWriteRequest(frame, senderMac, sender, target, out int written);
        ref PacketMeta meta = ref packet.Meta;
        meta.Length = (ushort)written;
        meta.L2Offset = 0;
        meta.L3Offset = EthernetHeader.Size;
        meta.InputPort = port;
        meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid;
    }
}
