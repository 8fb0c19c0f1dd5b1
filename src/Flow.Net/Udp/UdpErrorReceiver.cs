using System.Buffers.Binary;
using System.Net.Sockets;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;

namespace Flow.Net.Udp;

/// <summary>
/// ICMP errors about UDP the host sent (RFC 1122 4.1.3.3): a destination unreachable quoting a
/// datagram from a connected socket to its peer fails that socket's next receive, with the
/// error Linux reports for it.
/// </summary>
/// <remarks>
/// Input: the ICMP messages for the host that are not echo requests (<c>icmp_echo</c>'s
/// <c>other</c>). Port and protocol unreachable become <see cref="SocketError.ConnectionRefused"/>,
/// network unreachable <see cref="SocketError.NetworkUnreachable"/>, host unreachable and
/// administratively prohibited <see cref="SocketError.HostUnreachable"/>. As on Linux without
/// IP_RECVERR, an unconnected socket is not told, and fragmentation needed and time exceeded
/// are soft errors nobody is told of. What no socket takes is dropped with its reason.
/// </remarks>
[SingleShard("it reaches the sockets udp_receive delivers to")]
[Stage("udp_errors", "ICMP errors about sent UDP: fail the next receive of the connected socket they concern.",
    Accepts = typeof(Carries.Ipv4))]
public sealed class UdpErrorReceiver : Stage<NoOutput, UdpErrorReceiver.Reason>
{
    private readonly UdpPortTable _ports;

    public UdpErrorReceiver(UdpPortTable ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        _ports = ports;
    }

    public enum Reason : byte
    {
        [DropReason("no valid IPv4 header at the L3 offset", Severity.Error)]
        Malformed,
        [DropReason("an ICMP message that is no hard error about UDP (echo reply, time exceeded, fragmentation needed, another type)", Severity.Info)]
        NotActedOn,
        [DropReason("an error about a datagram of no connected socket (closed, unconnected, or to another peer)", Severity.Info)]
        NoSocket,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Report(packets[i]);
        }
    }

    private Next Report(Packet packet)
    {
        int l3 = packet.Meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip))
        {
            return Drop(Reason.Malformed);
        }
        if (ip.Header.Protocol != IpProtocol.Icmp || ip.Header.IsFragment || !IcmpPacket.TryParse(ip.Payload, out IcmpPacket icmp)
            || icmp.Header.Type != IcmpType.DestinationUnreachable || !icmp.TryGetQuotedPacket(out Ipv4Packet quoted)
            || quoted.Header.Protocol != IpProtocol.Udp || quoted.Payload.Length < 4)
        {
            return Drop(Reason.NotActedOn);
        }
        SocketError error = icmp.Header.Code switch
        {
            IcmpType.CodePortUnreachable or IcmpType.CodeProtocolUnreachable => SocketError.ConnectionRefused,
            IcmpType.CodeNetUnreachable => SocketError.NetworkUnreachable,
            IcmpType.CodeHostUnreachable or IcmpType.CodeAdministrativelyProhibited => SocketError.HostUnreachable,
            _ => SocketError.Success,
        };
        if (error == SocketError.Success)
        {
            return Drop(Reason.NotActedOn);
        }
        ushort sourcePort = BinaryPrimitives.ReadUInt16BigEndian(quoted.Payload);
        ushort destinationPort = BinaryPrimitives.ReadUInt16BigEndian(quoted.Payload.Slice(2));
        FlowUdpSocket? socket = _ports.Find(sourcePort);
        long peer = socket?.PeerKey ?? 0;
        if (socket is null || peer == 0 || peer != FlowUdpSocket.Key(quoted.Header.Destination.Value.Host, destinationPort))
        {
            return Drop(Reason.NoSocket);
        }
        socket.ReportError(error);
        PacketPools.Free(packet);
        return Next.Consumed;
    }
}
