using Flow.Protocols.Ethernet;
using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;

namespace Flow.Protocols.Icmpv6;

/// <summary>Writes IPv6 neighbour solicitations and advertisements, IPv6 header included (RFC 4861 4.3, 4.4).</summary>
public static class Icmpv6Builder
{
    /// <summary>ND messages are sent, and accepted only, with hop limit 255 (RFC 4861 7.1.1, 7.1.2).</summary>
    public const byte NeighborDiscoveryHopLimit = 255;

    private const int NeighborMessageSize = 24;
    private const int LinkLayerOptionSize = 8;

    /// <summary>
    /// A solicitation for <paramref name="target"/> to its solicited-node multicast address
    /// (RFC 4861 7.2.2). The source link-layer address option is included unless the source
    /// is unspecified, as during duplicate address detection, where it must be left out
    /// (RFC 4861 4.3).
    /// </summary>
    public static bool TryWriteNeighborSolicitation(Span<byte> destination, Ipv6Address source, MacAddress sourceMac, Ipv6Address target, out int written)
    {
        bool withOption = source != Ipv6Address.Any;
        int length = NeighborMessageSize + (withOption ? LinkLayerOptionSize : 0);
        return TryWrite(destination, source, target.SolicitedNodeMulticast(), Icmpv6Type.NeighborSolicitation, 0, target,
            withOption ? NdOptionType.SourceLinkLayerAddress : (byte)0, sourceMac, length, out written);
    }

    /// <summary>
    /// An advertisement for <paramref name="target"/> carrying <paramref name="targetMac"/> in a
    /// target link-layer address option (RFC 4861 4.4, 7.2.4).
    /// </summary>
    public static bool TryWriteNeighborAdvertisement(
        Span<byte> destination,
        Ipv6Address source,
        Ipv6Address destinationAddress,
        Ipv6Address target,
        MacAddress targetMac,
        bool router,
        bool solicited,
        bool overrideFlag,
        out int written)
    {
        byte flags = (byte)((router ? 0x80 : 0) | (solicited ? 0x40 : 0) | (overrideFlag ? 0x20 : 0));
        return TryWrite(destination, source, destinationAddress, Icmpv6Type.NeighborAdvertisement, flags, target,
            NdOptionType.TargetLinkLayerAddress, targetMac, NeighborMessageSize + LinkLayerOptionSize, out written);
    }

    private static bool TryWrite(
        Span<byte> destination,
        Ipv6Address source,
        Ipv6Address destinationAddress,
        byte type,
        byte flags,
        Ipv6Address target,
        byte optionType,
        MacAddress mac,
        int icmpLength,
        out int written)
    {
        if ((uint)destination.Length < (uint)(Ipv6Header.Size + icmpLength))
        {
            written = 0;
            return false;
        }

        Ipv6Builder.TryWriteHeader(destination, source, destinationAddress, IpProtocol.Icmpv6, icmpLength, NeighborDiscoveryHopLimit);
        Span<byte> message = destination.Slice(Ipv6Header.Size, icmpLength);

        // Reserved bits must be zero (RFC 4861 4.3, 4.4); clear the fixed part in one go.
        message.Slice(0, NeighborMessageSize).Clear();
        ref Icmpv6Header h = ref Wire.As<Icmpv6Header>(message);
        h.Type = type;
        message[4] = flags;
        target.CopyTo(message.Slice(8));
        if (optionType != 0)
        {
            message[NeighborMessageSize] = optionType;
            message[NeighborMessageSize + 1] = 1;
            mac.CopyTo(message.Slice(NeighborMessageSize + 2));
        }

        h.Checksum = Checksum.Finish(Checksum.Sum(message, Checksum.PseudoHeaderSum(source, destinationAddress, IpProtocol.Icmpv6, (uint)icmpLength)));
        written = Ipv6Header.Size + icmpLength;
        return true;
    }
}
