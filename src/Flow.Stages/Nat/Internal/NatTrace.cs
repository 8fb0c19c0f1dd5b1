using System.Buffers.Binary;
using System.Globalization;
using Flow.Protocols.Ipv4;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Nat.Internal;

/// <summary>Reading a traced packet's endpoints and writing them for the NAT stages' trace notes.</summary>
internal static class NatTrace
{
    public readonly record struct Endpoints(uint Source, ushort SourcePort, uint Destination, ushort DestinationPort, byte Protocol);

    /// <summary>The packet's addresses and ports (ICMP echo: identifier as the local port, remote port 0); false for anything else.</summary>
    public static bool TryEndpoints(Packet packet, out Endpoints endpoints)
    {
        endpoints = default;
        int l3 = packet.Meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip) || ip.Header.FragmentOffset > 0)
        {
            return false;
        }
        byte protocol = ip.Header.Protocol;
        Span<byte> l4 = ip.Payload;
        if (protocol is not (IpProtocol.Udp or IpProtocol.Tcp or IpProtocol.Icmp) || !NatRewrite.HasPorts(protocol, l4))
        {
            return false;
        }
        uint source = ip.Header.Source.Value.Host;
        uint destination = ip.Header.Destination.Value.Host;
        if (protocol == IpProtocol.Icmp)
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(4));
            // An echo request leaves with its identifier as the local port; a reply comes back with it.
            endpoints = l4[0] == 0 ? new Endpoints(source, 0, destination, id, protocol) : new Endpoints(source, id, destination, 0, protocol);
            return NatRewrite.IsQuery(l4[0]);
        }
        endpoints = new Endpoints(source, NatRewrite.Port(protocol, l4, source: true), destination, NatRewrite.Port(protocol, l4, source: false), protocol);
        return true;
    }

    public static string Endpoint(uint address, ushort port) =>
        $"{RouteConfiguration.Text(address)}:{port.ToString(CultureInfo.InvariantCulture)}";

    public static string State(NatSessionState state) => state switch
    {
        NatSessionState.Open => "open",
        NatSessionState.SynOutbound => "SYN out",
        NatSessionState.SynInbound => "SYN in",
        NatSessionState.Established => "established",
        NatSessionState.FinOutbound => "FIN out",
        NatSessionState.FinInbound => "FIN in",
        _ => "closing",
    };
}
