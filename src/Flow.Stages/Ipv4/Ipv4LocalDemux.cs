using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Flow.Protocols.Ipv4;
using Flow.Stages.Icmp;

namespace Flow.Stages.Ipv4;

/// <summary>
/// Local delivery by protocol (RFC 1122 3.2.1.1, 3.3.7): what the router serves goes to the stage
/// serving it, the rest is refused with port or protocol unreachable (RFC 1122 3.2.2.1,
/// RFC 1812 4.3.2; icmp_error rate-limits and suppresses them as for any error).
/// </summary>
/// <remarks>
/// Input: local packets — <c>ipv4_input</c>'s <c>local</c>, or <c>icmp_echo</c>'s <c>other</c>.
/// Output <c>icmp</c>: ICMP messages for the router (replies to its own echoes, errors about
/// what it sent). Output <c>udp</c>: datagrams to a port in
/// <see cref="Ipv4LocalDemuxOptions.UdpPorts"/>, or every datagram with
/// <see cref="Ipv4LocalDemuxOptions.AllUdp"/> (a host's stack). Output <c>tcp</c>, only with
/// <see cref="Ipv4LocalDemuxOptions.Tcp"/>: TCP segments, for a host's TCP. Output <c>unreachable</c>: the packet unchanged
/// with an <see cref="IcmpErrorRequest"/> in <see cref="PacketMeta.UserWord"/>, for
/// <c>icmp_error</c> — port unreachable (3/3) for UDP to any other port and for TCP (the router
/// has no TCP stack; RFC 9293 would answer with a reset, and Linux's TCP aborts a connection
/// attempt on this error just the same), protocol unreachable (3/2) for other protocols.
/// Drops: <c>malformed</c> (no valid IPv4 header at L3), <c>fragment</c> (the router does not
/// reassemble), <c>truncated</c> (UDP or TCP too short for its ports).
/// </remarks>
[Stage("ipv4_local", "Router local delivery: ICMP and served UDP ports to their stages, port/protocol unreachable for the rest.",
    Accepts = typeof(Carries.Ipv4))]
public sealed class Ipv4LocalDemux : Stage<Ipv4LocalDemux.Output, Ipv4LocalDemux.Reason>
{
    private readonly ulong[] _udpPorts = new ulong[65536 / 64];
    private readonly bool _tcp;

    public Ipv4LocalDemux(Ipv4LocalDemuxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (ushort port in options.UdpPorts)
        {
            _udpPorts[port >> 6] |= 1UL << (port & 63);
        }
        if (options.AllUdp)
        {
            Array.Fill(_udpPorts, ulong.MaxValue);
        }
        _tcp = options.Tcp;
        if (!_tcp)
        {
            // tcp is an output of a host's stack only: a router's graph has nothing more to connect.
            NamePorts([(Output.Icmp, "icmp"), (Output.Udp, "udp"), (Output.Unreachable, "unreachable")]);
        }
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "ICMP messages for the router")]
        Icmp,
        [Port(typeof(Carries.Ipv4), "UDP datagrams to a port the router serves")]
        Udp,
        [Port(typeof(Carries.Ipv4), "refused packets with a port or protocol unreachable request in UserWord, for icmp_error")]
        Unreachable,
        [Port(typeof(Carries.Ipv4), "TCP segments, with the tcp option (a host's TCP)")]
        Tcp,
    }

    public enum Reason : byte
    {
        [DropReason("no valid IPv4 header at the L3 offset", Severity.Error)]
        Malformed,
        [DropReason("fragment for the router: no reassembly", Severity.Info)]
        Fragment,
        [DropReason("UDP or TCP too short to hold its ports")]
        Truncated,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        ulong[] udpPorts = _udpPorts;
        bool tcp = _tcp;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Deliver(packets[i], udpPorts, tcp);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Next Deliver(Packet packet, ulong[] udpPorts, bool tcp)
    {
        ref PacketMeta meta = ref packet.Meta;
        int l3 = meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip))
        {
            return Drop(Reason.Malformed);
        }
        ref Ipv4Header header = ref ip.Header;
        if (header.IsFragment)
        {
            return Drop(Reason.Fragment);
        }
        byte protocol = header.Protocol;
        if (protocol == IpProtocol.Icmp)
        {
            return To(Output.Icmp);
        }
        if (protocol is IpProtocol.Udp or IpProtocol.Tcp)
        {
            Span<byte> payload = ip.Payload;
            if (payload.Length < 4)
            {
                return Drop(Reason.Truncated);
            }
            ushort port = BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(2, 2));
            if (protocol == IpProtocol.Udp && (udpPorts[port >> 6] & 1UL << (port & 63)) != 0)
            {
                return To(Output.Udp);
            }
            if (protocol == IpProtocol.Tcp && tcp)
            {
                return To(Output.Tcp);
            }
            meta.UserWord = IcmpErrorRequest.PortUnreachable;
            return To(Output.Unreachable);
        }
        meta.UserWord = IcmpErrorRequest.ProtocolUnreachable;
        return To(Output.Unreachable);
    }
}
