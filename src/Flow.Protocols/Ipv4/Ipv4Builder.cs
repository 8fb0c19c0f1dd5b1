using Flow.Protocols.Internal;

namespace Flow.Protocols.Ipv4;

/// <summary>Writes option-less IPv4 headers with their checksum.</summary>
public static class Ipv4Builder
{
    /// <summary>Initial TTL for packets Flow originates (RFC 1700 / IANA recommends 64).</summary>
    public const byte DefaultTimeToLive = 64;

    /// <summary>
    /// Writes a 20-byte header for a payload of <paramref name="payloadLength"/> bytes that the
    /// caller places right after it. False when the buffer is too small or the total would
    /// not fit in Total Length.
    /// </summary>
    public static bool TryWriteHeader(
        Span<byte> destination,
        Ipv4Address source,
        Ipv4Address destinationAddress,
        byte protocol,
        int payloadLength,
        byte timeToLive = DefaultTimeToLive,
        ushort identification = 0,
        bool dontFragment = false,
        byte typeOfService = 0)
    {
        if ((uint)destination.Length < Ipv4Header.Size || (uint)payloadLength > ushort.MaxValue - Ipv4Header.Size)
        {
            return false;
        }

        ref Ipv4Header h = ref Wire.As<Ipv4Header>(destination);
        h.VersionAndHeaderLength = 0x45;
        h.TypeOfService = typeOfService;
        h.TotalLength = new NetU16((ushort)(Ipv4Header.Size + payloadLength));
        h.Identification = new NetU16(identification);
        h.FlagsAndFragmentOffset = new NetU16(dontFragment ? (ushort)0x4000 : (ushort)0);
        h.TimeToLive = timeToLive;
        h.Protocol = protocol;
        h.HeaderChecksum = default;
        h.Source = source;
        h.Destination = destinationAddress;
        h.HeaderChecksum = Checksum.Compute(destination.Slice(0, Ipv4Header.Size));
        return true;
    }
}
