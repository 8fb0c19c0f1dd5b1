using Flow.Protocols.Internal;

namespace Flow.Protocols.Arp;

/// <summary>A view over an Ethernet/IPv4 ARP packet (RFC 826).</summary>
public readonly ref struct ArpPacket
{
    private readonly Span<byte> _bytes;

    private ArpPacket(Span<byte> bytes) => _bytes = bytes;

    public ref ArpHeader Header => ref Wire.As<ArpHeader>(_bytes);

    /// <summary>
    /// False unless the buffer holds 28 bytes describing Ethernet (hardware type 1, length 6)
    /// and IPv4 (protocol type 0x0800, length 4) — the only pairing Flow resolves; RFC 826
    /// "Packet Reception" checks the same fields before anything else.
    /// </summary>
    public static bool TryParse(Span<byte> bytes, out ArpPacket view)
    {
        if ((uint)bytes.Length < ArpHeader.Size)
        {
            view = default;
            return false;
        }

        ref ArpHeader h = ref Wire.As<ArpHeader>(bytes);
        if (h.HardwareType.Host != ArpHeader.EthernetHardwareType || h.ProtocolType.Host != Ethernet.EtherType.Ipv4
            || h.HardwareLength != 6 || h.ProtocolLength != 4)
        {
            view = default;
            return false;
        }

        view = new ArpPacket(bytes.Slice(0, ArpHeader.Size));
        return true;
    }
}
