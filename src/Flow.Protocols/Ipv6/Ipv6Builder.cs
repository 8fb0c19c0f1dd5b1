using Flow.Protocols.Internal;

namespace Flow.Protocols.Ipv6;

/// <summary>Writes IPv6 headers without extension headers.</summary>
public static class Ipv6Builder
{
    public static bool TryWriteHeader(Span<byte> destination, Ipv6Address source, Ipv6Address destinationAddress, byte nextHeader, int payloadLength, byte hopLimit)
    {
        if ((uint)payloadLength > ushort.MaxValue || (uint)destination.Length < Ipv6Header.Size)
        {
            return false;
        }

        ref Ipv6Header h = ref Wire.As<Ipv6Header>(destination);
        h.VersionClassAndFlowLabel = new NetU32(6u << 28);
        h.PayloadLength = new NetU16((ushort)payloadLength);
        h.NextHeader = nextHeader;
        h.HopLimit = hopLimit;
        h.Source = source;
        h.Destination = destinationAddress;
        return true;
    }
}
