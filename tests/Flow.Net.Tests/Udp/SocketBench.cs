using Flow.Net.Internal;
using Flow.Net.Udp;
using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;

namespace Flow.Net.Tests.Udp;

/// <summary>
/// The UDP stages and sockets of one stack without a running graph: each stage in a
/// <see cref="StageHarness"/>, the sockets on the same port table, frames made here.
/// The host is 10.0.0.2/24 on interface eth (id 0), default route via 10.0.0.1.
/// </summary>
internal sealed class SocketBench : IDisposable
{
    public const uint Own = 0x0A000002;
    public const uint Gateway = 0x0A000001;
    public const uint Neighbour = 0x0A00000A;
    public const uint SubnetBroadcast = 0x0A0000FF;
    public const string OwnMac = "02:00:00:00:0a:01";

    public SocketBench(int sendPoolFrames = 64)
    {
        IReadOnlyList<RouterInterfaceOptions> interfaces = [new() { Name = "eth", Id = 0, Mac = OwnMac, Addresses = ["10.0.0.2/24"] }];
        Routes = new Ipv4RouteTable(new Ipv4RouteTableOptions { MaxNextHops = 64, Fib = new Ipv4FibOptions { Tbl8Groups = 4, MaxRoutes = 64 } });
        Routes.Add(Ipv4Prefix.Parse("10.0.0.0/24"), Ipv4Route.Connected(0));
        Routes.Add(Ipv4Prefix.Parse("10.0.0.2/32"), Ipv4Route.Local(0));
        Routes.Add(Ipv4Prefix.Parse("0.0.0.0/0"), Ipv4Route.Via(new Ipv4Address(new NetU32(Gateway)), 0));
        Sender = new UdpSender(new UdpSenderOptions { Interfaces = interfaces, PoolFrames = sendPoolFrames }, Ports, Routes);
        SendHarness = new StageHarness(Sender, "udp_send");
        ReceiveHarness = new StageHarness(new UdpReceiver(new UdpReceiverOptions { Interfaces = interfaces }, Ports), "udp_receive");
        ErrorHarness = new StageHarness(new UdpErrorReceiver(Ports), "udp_errors");
        Host = new SocketHost(Ports, new Flow.Net.Tcp.TcpTable(), RouterInterfaceTable.Create(interfaces), Sender.SendPool, () => Task.CompletedTask);
    }

    public UdpPortTable Ports { get; } = new();

    public Ipv4RouteTable Routes { get; }

    public UdpSender Sender { get; }

    public StageHarness SendHarness { get; }

    public StageHarness ReceiveHarness { get; }

    public StageHarness ErrorHarness { get; }

    public SocketHost Host { get; }

    public LeakCheckingPool Received { get; } = new(64);

    public FlowUdpSocket Socket(int queueLength = 16) => new(Host, queueLength);

    /// <summary>An Ethernet/IPv4/UDP frame to the stack as ipv4_local hands it on (L3 offset set).</summary>
    public Packet Datagram(uint source, ushort sourcePort, uint destination, ushort destinationPort, ReadOnlySpan<byte> payload, bool badChecksum = false)
    {
        byte[] frame = new byte[EthernetHeader.Size + Ipv4Header.Size + UdpHeader.Size + payload.Length];
        var from = new Ipv4Address(new NetU32(source));
        var to = new Ipv4Address(new NetU32(destination));
        payload.CopyTo(frame.AsSpan(EthernetHeader.Size + Ipv4Header.Size + UdpHeader.Size));
        UdpBuilder.TryWrite(frame.AsSpan(EthernetHeader.Size + Ipv4Header.Size), sourcePort, destinationPort, payload.Length, from, to);
        Ipv4Builder.TryWriteHeader(frame.AsSpan(EthernetHeader.Size), from, to, IpProtocol.Udp, UdpHeader.Size + payload.Length);
        EthernetBuilder.TryWriteHeader(frame, Mac(OwnMac), Mac("02:00:00:00:00:0a"), EtherType.Ipv4);
        if (badChecksum)
        {
            frame[^1] ^= 0x55;
        }
        Packet packet = Received.Make(frame);
        packet.Meta.L3Offset = EthernetHeader.Size;
        packet.Meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid;
        return packet;
    }

    public static MacAddress Mac(string text) => MacAddress.TryParse(text, out MacAddress mac) ? mac : throw new FormatException(text);

    public void Dispose()
    {
        SendHarness.Dispose();
        ReceiveHarness.Dispose();
        ErrorHarness.Dispose();
        Sender.Dispose();
        Routes.Dispose();
        Received.Dispose();
    }
}
