using System.Runtime.InteropServices;
using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Net.Udp;

/// <summary>
/// UDP output: takes the datagrams applications wrote to their sockets and finishes them for the
/// wire — the source address chosen by the route when the socket is bound to any address (RFC
/// 1122 3.3.4.3), then the IPv4 and UDP checksums.
/// </summary>
/// <remarks>
/// A source polled by the stack's worker. Each poll takes from the sockets' send rings in turn,
/// starting one socket further each time, so a busy socket cannot hold the others back; every
/// socket it took from is told there is room again. The application's thread did the copying and
/// summed the data (in <see cref="PacketMeta.UserWord"/>); the worker adds the headers to that sum.
/// Output <c>routed</c>: unicast datagrams, with room for the Ethernet header <c>arp_resolve</c>
/// writes — route them (a local lookup, <c>ipv4_output</c>). One output per interface, named as
/// it: broadcasts, as complete frames to ff:ff:ff:ff:ff:ff (limited broadcasts leave by the
/// interface of the bound address, else by the default route's). Drops: <c>no_route</c> (no
/// route, a blackhole or reject route: Linux's sendto would fail with ENETUNREACH),
/// <c>no_address</c> (the interface has no address to send from).
/// The frames come from the stage's own pool (<see cref="SendPool"/>), which sockets allocate from.
/// </remarks>
[SingleShard("its sockets' send rings have one consumer")]
[Stage("udp_send", "UDP output: takes what sockets send, picks the source address by the route, finishes the checksums.")]
public sealed class UdpSender : SourceStage<UdpSender.Output, UdpSender.Reason>, IDisposable
{
    /// <summary>The output for unicast datagrams; the interfaces' outputs follow it.</summary>
    public const string RoutedPort = "routed";

    private const uint LimitedBroadcast = uint.MaxValue;

    private readonly UdpPortTable _ports;
    private readonly RouterInterfaceTable _interfaces;
    private readonly Ipv4RouteTable _routes;
    private readonly FibReader _reader;
    private int _nextSocket;

    public UdpSender(UdpSenderOptions options, UdpPortTable ports, Ipv4RouteTable routes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentNullException.ThrowIfNull(routes);
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
        if (_interfaces.Interfaces.Any(i => i.Name == RoutedPort))
        {
            throw new RouterConfigurationException($"interface name '{RoutedPort}' is taken by udp_send's output for routed datagrams; rename the interface");
        }
        _ports = ports;
        _routes = routes;
        _reader = routes.OpenReader();
        SendPool = PacketPool.Create(options.PoolFrames, name: "udp_send");
        NamePorts(Output.Routed, [RoutedPort, .. _interfaces.Interfaces.Select(i => i.Name)]);
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "'routed': unicast datagrams to route; one port per interface, named as it: broadcast frames, complete")]
        Routed,
    }

    public enum Reason : byte
    {
        [DropReason("no route to the destination, or a blackhole or reject route", Severity.Warning)]
        NoRoute,
        [DropReason("the interface the datagram leaves by has no address to send from", Severity.Warning)]
        NoAddress,
    }

    /// <summary>The pool sockets write their datagrams into.</summary>
    public PacketPool SendPool { get; }

    internal RouterInterfaceTable Interfaces => _interfaces;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        FlowUdpSocket[] sockets = _ports.Sockets;
        int count = sockets.Length;
        if (count == 0)
        {
            return 0;
        }
        int start = _nextSocket < count ? _nextSocket : 0;
        _nextSocket = start + 1;
        int filled = 0;
        for (int k = 0; k < count && filled < packets.Length; k++)
        {
            int index = start + k;
            FlowUdpSocket socket = sockets[index < count ? index : index - count];
            int n = socket.Outgoing.Dequeue(packets.Slice(filled));
            if (n > 0)
            {
                socket.SignalSent();
            }
            filled += n;
            filled += socket.WorkerOutgoing.Dequeue(packets.Slice(filled));
        }
        if (filled == 0)
        {
            return 0;
        }
        _reader.Enter();
        try
        {
            for (int i = 0; i < filled; i++)
            {
                nexts[i] = Finish(packets[i]);
            }
        }
        finally
        {
            _reader.Exit();
        }
        return filled;
    }

    private Next Finish(Packet packet)
    {
        ref PacketMeta meta = ref packet.Meta;
        Span<byte> frame = packet.Data;
        Span<byte> l3 = frame.Slice(EthernetHeader.Size);
        ref Ipv4Header ip = ref MemoryMarshal.AsRef<Ipv4Header>(l3);
        uint destination = ip.Destination.Value.Host;
        uint source = ip.Source.Value.Host;
        bool broadcast = destination == LimitedBroadcast || _interfaces.IsSubnetBroadcast(destination);
        // A limited broadcast has no route of its own: it leaves by the bound address's interface, or the default route's.
        uint routeTo = destination != LimitedBroadcast ? destination : source != 0 ? source : LimitedBroadcast;
        NextHop hop = _routes.NextHops[_routes.Fib.Lookup(routeTo)];
        if (hop.Kind == NextHopKind.Multipath)
        {
            hop = _routes.NextHops[hop.Member(routeTo)];
        }
        int index;
        if (hop.Kind is NextHopKind.Via or NextHopKind.Connected or NextHopKind.Local)
        {
            index = _interfaces.IndexOfId(hop.Port);
        }
        else if (destination == LimitedBroadcast && _interfaces.Count > 0)
        {
            index = 0;
        }
        else
        {
            index = -1;
        }
        if (index < 0)
        {
            return Drop(Reason.NoRoute);
        }
        if (source == 0)
        {
            // To one of the host's own addresses: from that address (it comes back through local delivery).
            source = hop.Kind == NextHopKind.Local && !broadcast ? destination : _interfaces.PrimaryAddressOf(index);
            if (source == 0)
            {
                return Drop(Reason.NoAddress);
            }
            ip.Source = new Ipv4Address(new NetU32(source));
        }
        ip.HeaderChecksum = default;
        ip.HeaderChecksum = Checksum.Compute(l3.Slice(0, Ipv4Header.Size));
        Span<byte> udp = l3.Slice(Ipv4Header.Size);
        ref UdpHeader header = ref MemoryMarshal.AsRef<UdpHeader>(udp);
        ushort pseudo = Checksum.PseudoHeaderSum(ip.Source, ip.Destination, IpProtocol.Udp, header.Length.Host);
        NetU16 checksum = Checksum.Finish(Checksum.Add(Checksum.Sum(udp.Slice(0, UdpHeader.Size), pseudo), (ushort)meta.UserWord));
        // Zero on the wire means "no checksum" (RFC 768).
        header.Checksum = checksum.Raw == 0 ? new NetU16(0xFFFF) : checksum;
        meta.InputPort = _interfaces.Interfaces[index].Id ?? (ushort)index;
        if (!broadcast)
        {
            return Next.ToPort(0);
        }
        EthernetBuilder.TryWriteHeader(frame, MacAddress.Broadcast, _interfaces.MacOf(index), EtherType.Ipv4);
        meta.Flags |= PacketFlags.L2Valid;
        return Next.ToPort(1 + index);
    }

    public void Dispose()
    {
        _reader.Dispose();
        SendPool.Dispose();
    }
}
