using Flow.Protocols.Internal;
using Flow.Protocols.Ipv4;

namespace Flow.Protocols.Icmp;

/// <summary>Writes ICMP echo requests, echo replies (in place) and ICMP error messages.</summary>
public static class IcmpBuilder
{
    /// <summary>
    /// An error message, IP header included, is at most 576 bytes: "as much of the original
    /// datagram as possible without the length of the ICMP datagram exceeding 576 bytes"
    /// (RFC 1812 4.3.2.3).
    /// </summary>
    public const int MaxErrorLength = 576;

    /// <summary>RFC 792 asks for the offending header plus at least its first 64 bits of data.</summary>
    private const int MinQuotedData = 8;

    /// <summary>Precedence 6, internetwork control, for errors (RFC 1812 4.3.2.5).</summary>
    private const byte ErrorTypeOfService = 0xC0;

    /// <summary>
    /// Turns the echo request in <paramref name="packet"/> into its reply, in place (RFC 792
    /// "Echo or Echo Reply Message"; RFC 1122 3.2.2.6): type 0, source
    /// <paramref name="ownAddress"/> (the request may have been sent to a broadcast or
    /// multicast address, which must not be a reply's source), destination the requester, a
    /// fresh TTL. Identifier, sequence number, data and IP options are kept. The ICMP checksum
    /// is patched incrementally, the IP checksum recomputed. False when the packet is not an
    /// echo request.
    /// </summary>
    public static bool TryTurnEchoRequestIntoReply(Ipv4Packet packet, Ipv4Address ownAddress)
    {
        ref Ipv4Header ip = ref packet.Header;
        if (ip.Protocol != IpProtocol.Icmp || ip.IsFragment || !IcmpPacket.TryParse(packet.Payload, out IcmpPacket icmp)
            || icmp.Header.Type != IcmpType.EchoRequest)
        {
            return false;
        }

        ref IcmpHeader h = ref icmp.Header;
        NetU16 before = new((ushort)((h.Type << 8) | h.Code));
        h.Type = IcmpType.EchoReply;
        h.Checksum = Checksum.Update(h.Checksum, before, new NetU16(h.Code));
        // Eqn. 3 yields 0x0000 for a message that is all zeros (identifier, sequence and data
        // zero), whose sum is +0, so only 0xFFFF verifies: Linux's icmp_rcv drops the other.
        if (h.Checksum.Raw == 0 && icmp.Bytes[..2].IndexOfAnyExcept((byte)0) < 0 && icmp.Bytes[4..].IndexOfAnyExcept((byte)0) < 0)
        {
            h.Checksum = NetU16.FromRaw(0xFFFF);
        }

        ip.Destination = ip.Source;
        ip.Source = ownAddress;
        ip.TimeToLive = Ipv4Builder.DefaultTimeToLive;
        packet.UpdateChecksum();
        return true;
    }

    /// <summary>
    /// An echo request (RFC 792) with its IPv4 header: <paramref name="dataLength"/> bytes of
    /// data counting up from 0 (so a reply that comes back changed is seen), TTL 64, DF clear.
    /// False when the buffer is too small or the datagram would exceed 65535 bytes.
    /// </summary>
    public static bool TryWriteEchoRequest(Span<byte> destination, Ipv4Address source, Ipv4Address target, ushort identifier, ushort sequence,
        int dataLength, out int written)
    {
        int icmpLength = IcmpHeader.Size + dataLength;
        if (dataLength < 0 || (uint)destination.Length < (uint)(Ipv4Header.Size + icmpLength) ||
            !Ipv4Builder.TryWriteHeader(destination, source, target, IpProtocol.Icmp, icmpLength, identification: sequence))
        {
            written = 0;
            return false;
        }
        Span<byte> message = destination.Slice(Ipv4Header.Size, icmpLength);
        for (int i = 0; i < dataLength; i++)
        {
            message[IcmpHeader.Size + i] = (byte)i;
        }
        ref IcmpHeader h = ref Wire.As<IcmpHeader>(message);
        h.Type = IcmpType.EchoRequest;
        h.Code = 0;
        h.Checksum = default;
        h.Identifier = identifier;
        h.SequenceNumber = sequence;
        h.Checksum = Checksum.Compute(message);
        written = Ipv4Header.Size + icmpLength;
        return true;
    }

    /// <summary>Time exceeded, TTL zero in transit (RFC 792; RFC 1812 5.3.1).</summary>
    public static bool TryWriteTimeExceeded(Span<byte> destination, Ipv4Packet offending, Ipv4Address source, out int written) =>
        TryWriteError(destination, offending, IcmpType.TimeExceeded, IcmpType.CodeTtlExceeded, 0, source, out written);

    /// <summary>Destination unreachable with <paramref name="code"/> (RFC 792; RFC 1812 5.2.7.1).</summary>
    public static bool TryWriteDestinationUnreachable(Span<byte> destination, Ipv4Packet offending, byte code, Ipv4Address source, out int written) =>
        TryWriteError(destination, offending, IcmpType.DestinationUnreachable, code, 0, source, out written);

    /// <summary>Fragmentation needed and DF set, carrying the next-hop MTU (RFC 1191 4).</summary>
    public static bool TryWriteFragmentationNeeded(Span<byte> destination, Ipv4Packet offending, ushort nextHopMtu, Ipv4Address source, out int written) =>
        TryWriteError(destination, offending, IcmpType.DestinationUnreachable, IcmpType.CodeFragmentationNeeded, nextHopMtu, source, out written);

    /// <summary>
    /// Writes IPv4 + ICMP error + quote of <paramref name="offending"/> into
    /// <paramref name="destination"/>. The quote is the offending header with its options
    /// and as much data as fits in <see cref="MaxErrorLength"/> and in the buffer, but never
    /// less than 8 bytes of data when the packet has them (RFC 792). The buffers may overlap,
    /// so a frame can be turned into its own error: the quote is moved first (memmove
    /// semantics), the headers written after. The caller decides first whether an error may
    /// be sent at all (<see cref="MayQuoteInError"/>).
    /// </summary>
    public static bool TryWriteError(Span<byte> destination, Ipv4Packet offending, byte type, byte code, uint restOfHeader, Ipv4Address source, out int written)
    {
        const int headers = Ipv4Header.Size + IcmpHeader.Size;
        Span<byte> original = offending.Bytes;
        int minimum = Math.Min(original.Length, offending.HeaderLength + MinQuotedData);
        int quoted = Math.Min(Math.Min(original.Length, MaxErrorLength - headers), destination.Length - headers);
        if (quoted < minimum)
        {
            written = 0;
            return false;
        }

        Ipv4Address requester = offending.Header.Source;
        original.Slice(0, quoted).CopyTo(destination.Slice(headers));

        int icmpLength = IcmpHeader.Size + quoted;
        Ipv4Builder.TryWriteHeader(destination, source, requester, IpProtocol.Icmp, icmpLength, Ipv4Builder.DefaultTimeToLive, typeOfService: ErrorTypeOfService);
        Span<byte> message = destination.Slice(Ipv4Header.Size, icmpLength);
        ref IcmpHeader h = ref Wire.As<IcmpHeader>(message);
        h.Type = type;
        h.Code = code;
        h.Checksum = default;
        h.RestOfHeader = new NetU32(restOfHeader);
        h.Checksum = Checksum.Compute(message);
        written = Ipv4Header.Size + icmpLength;
        return true;
    }

    /// <summary>
    /// RFC 1812 4.3.2.7: no error about an ICMP error, about a fragment other than the first,
    /// about a packet sent to an IP broadcast or multicast address, or about a packet whose
    /// source is not a unique host (0.0.0.0, loopback, broadcast, multicast, class E).
    /// Whether the frame was a link-layer broadcast is the caller's to check.
    /// </summary>
    public static bool MayQuoteInError(Ipv4Packet offending)
    {
        ref Ipv4Header h = ref offending.Header;
        if (h.FragmentOffset != 0 || h.Destination.IsBroadcast || h.Destination.IsMulticast)
        {
            return false;
        }

        Ipv4Address src = h.Source;
        if (src.IsUnspecified || src.IsLoopback || src.IsBroadcast || src.IsMulticast || (src.Value.Host >> 28) == 0xF)
        {
            return false;
        }

        Span<byte> payload = offending.Payload;
        return h.Protocol != IpProtocol.Icmp || payload.IsEmpty || !IcmpType.IsError(payload[0]);
    }
}
