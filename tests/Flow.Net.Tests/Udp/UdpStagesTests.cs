using System.Net;
using System.Net.Sockets;
using Flow.Net.Udp;
using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;
using Flow.Stages.Icmp;
using Xunit;
using static Flow.Net.Tests.Udp.SocketBench;

namespace Flow.Net.Tests.Udp;

/// <summary>udp_receive, udp_send and udp_errors with sockets on their port table, one behaviour per test.</summary>
public sealed class UdpStagesTests : IDisposable
{
    private static readonly byte[] Hello = "hello, stack"u8.ToArray();
    private readonly SocketBench _bench = new();

    public void Dispose() => _bench.Dispose();

    private static IPEndPoint EndPoint(uint address, int port) =>
        new(new IPAddress(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(address)), port);

    [Fact]
    public async Task ADatagramToABoundPortReachesItsSocketWithItsSender()
    {
        using FlowUdpSocket socket = _bench.Socket();
        socket.Bind(new IPEndPoint(IPAddress.Any, 5000));
        _bench.ReceiveHarness.Process([_bench.Datagram(Neighbour, 4000, Own, 5000, Hello)]);

        using FlowDatagram datagram = await socket.ReceiveDatagramAsync();
        Assert.Equal(Hello, datagram.Payload.ToArray());
        Assert.Equal(EndPoint(Neighbour, 4000), datagram.RemoteEndPoint);
        Assert.Equal(0, _bench.ReceiveHarness.Stats.DroppedTotal);
    }

    [Fact]
    public async Task AReceiveThatWaitsIsWokenByTheNextDatagram()
    {
        using FlowUdpSocket socket = _bench.Socket();
        socket.Bind(new IPEndPoint(IPAddress.Any, 5000));
        ValueTask<int> pending = socket.ReceiveAsync(new byte[64]);
        Assert.False(pending.IsCompleted);
        _bench.ReceiveHarness.Process([_bench.Datagram(Neighbour, 4000, Own, 5000, Hello)]);
        Assert.Equal(Hello.Length, await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void ADatagramToAPortNoSocketHasAsksForPortUnreachable()
    {
        _bench.ReceiveHarness.Process([_bench.Datagram(Neighbour, 4000, Own, 5001, Hello)]);
        Packet refused = Assert.Single(_bench.ReceiveHarness.Output("unreachable"));
        Assert.Equal(IcmpErrorRequest.PortUnreachable, refused.Meta.UserWord);
    }

    [Fact]
    public void ABroadcastToAPortNoSocketHasIsDroppedWithoutAnError()
    {
        _bench.ReceiveHarness.Process([_bench.Datagram(Neighbour, 4000, SubnetBroadcast, 5001, Hello)]);
        Assert.Empty(_bench.ReceiveHarness.Output("unreachable"));
        Assert.Equal(1, _bench.ReceiveHarness.Stats.DroppedFor("no_socket"));
    }

    [Fact]
    public void ASocketBoundToTheStacksAddressTakesNoBroadcast()
    {
        using FlowUdpSocket socket = _bench.Socket();
        socket.Bind(EndPoint(Own, 5000));
        _bench.ReceiveHarness.Process([_bench.Datagram(Neighbour, 4000, SubnetBroadcast, 5000, Hello)]);
        Assert.Equal(1, _bench.ReceiveHarness.Stats.DroppedFor("no_socket"));
    }

    [Fact]
    public void AConnectedSocketTakesOnlyItsPeersDatagrams()
    {
        using FlowUdpSocket socket = _bench.Socket();
        socket.Connect(EndPoint(Neighbour, 4000));
        ushort port = (ushort)socket.LocalEndPoint!.Port;
        _bench.ReceiveHarness.Process([_bench.Datagram(Neighbour, 4001, Own, port, Hello), _bench.Datagram(Gateway, 4000, Own, port, Hello)]);
        Assert.Equal(2, _bench.ReceiveHarness.Stats.DroppedFor("not_from_peer"));
    }

    [Theory]
    [InlineData(true, "bad_checksum")]
    [InlineData(false, "truncated")]
    public void ABrokenDatagramIsDroppedForItsReason(bool badChecksum, string reason)
    {
        using FlowUdpSocket socket = _bench.Socket();
        socket.Bind(new IPEndPoint(IPAddress.Any, 5000));
        Packet packet = _bench.Datagram(Neighbour, 4000, Own, 5000, Hello, badChecksum);
        if (!badChecksum)
        {
            // UDP length beyond the IPv4 payload.
            packet.Data[EthernetHeader.Size + Ipv4Header.Size + 5] += 8;
        }
        _bench.ReceiveHarness.Process([packet]);
        Assert.Equal(1, _bench.ReceiveHarness.Stats.DroppedFor(reason));
    }

    [Fact]
    public void AFullReceiveRingDropsAndCounts()
    {
        using FlowUdpSocket socket = _bench.Socket(queueLength: 2);
        socket.Bind(new IPEndPoint(IPAddress.Any, 5000));
        _bench.ReceiveHarness.Process([.. Enumerable.Range(0, 3).Select(_ => _bench.Datagram(Neighbour, 4000, Own, 5000, Hello))]);
        Assert.Equal(1, _bench.ReceiveHarness.Stats.DroppedFor("socket_full"));
        Assert.Equal(1, socket.ReceiveQueueDrops);
    }

    [Fact]
    public async Task ClosingASocketFreesWhatItHeldAndItsPort()
    {
        FlowUdpSocket socket = _bench.Socket();
        socket.Bind(new IPEndPoint(IPAddress.Any, 5000));
        _bench.ReceiveHarness.Process([_bench.Datagram(Neighbour, 4000, Own, 5000, Hello)]);
        await socket.SendToAsync(Hello, EndPoint(Neighbour, 4000));
        await socket.DisposeAsync();
        // The received frame went back to its pool (the bench's leak check) and the queued send to the send pool.
        Assert.Equal(0, _bench.Sender.SendPool.Outstanding);
        using FlowUdpSocket again = _bench.Socket();
        again.Bind(new IPEndPoint(IPAddress.Any, 5000));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await socket.ReceiveAsync(new byte[8]));
    }

    [Fact]
    public void ATakenPortAndAForeignAddressAreRefusedAsLinuxRefusesThem()
    {
        using FlowUdpSocket first = _bench.Socket();
        first.Bind(new IPEndPoint(IPAddress.Any, 5000));
        using FlowUdpSocket second = _bench.Socket();
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => second.Bind(new IPEndPoint(IPAddress.Any, 5000))).SocketErrorCode);
        Assert.Equal(SocketError.AddressNotAvailable, Assert.Throws<SocketException>(() => second.Bind(EndPoint(Neighbour, 5001))).SocketErrorCode);
        second.Bind(new IPEndPoint(IPAddress.Any, 0));
        Assert.InRange(second.LocalEndPoint!.Port, UdpPortTable.FirstEphemeralPort, UdpPortTable.LastEphemeralPort);
    }

    [Fact]
    public async Task ASentDatagramGetsTheRoutesSourceAndChecksumsLinuxAccepts()
    {
        using FlowUdpSocket socket = _bench.Socket();
        await socket.SendToAsync(Hello, EndPoint(0x08080808, 53));
        Assert.Equal(1, _bench.SendHarness.Poll());
        Packet sent = Assert.Single(_bench.SendHarness.Output("routed"));
        Assert.True(Ipv4Packet.TryParse(sent.Data.Slice(EthernetHeader.Size), out Ipv4Packet ip));
        Assert.Equal(Own, ip.Header.Source.Value.Host);
        Assert.True(Checksum.IsValid(sent.Data.Slice(EthernetHeader.Size, Ipv4Header.Size)));
        Assert.True(UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp));
        Assert.True(udp.Header.Checksum.Raw != 0 && udp.HasValidChecksum(ip.Header.Source, ip.Header.Destination));
        Assert.Equal((ushort)socket.LocalEndPoint!.Port, udp.Header.SourcePort.Host);
        Assert.Equal(Hello, udp.Payload.ToArray());
        PacketPools.Free(sent);
    }

    [Fact]
    public async Task ABroadcastLeavesByItsInterfaceAsAWholeFrameAndNeedsEnableBroadcast()
    {
        using FlowUdpSocket socket = _bench.Socket();
        Assert.Equal(SocketError.AccessDenied, (await Assert.ThrowsAsync<SocketException>(async () => await socket.SendToAsync(Hello, new IPEndPoint(IPAddress.Broadcast, 67)))).SocketErrorCode);
        socket.EnableBroadcast = true;
        await socket.SendToAsync(Hello, new IPEndPoint(IPAddress.Broadcast, 67));
        _bench.SendHarness.Poll();
        Packet sent = Assert.Single(_bench.SendHarness.Output("eth"));
        Assert.Equal(MacAddress.Broadcast.ToString(), new MacAddress(sent.Data.Slice(0, 6)).ToString());
        Assert.Equal(OwnMac, new MacAddress(sent.Data.Slice(6, 6)).ToString());
        Assert.True(Ipv4Packet.TryParse(sent.Data.Slice(EthernetHeader.Size), out Ipv4Packet ip));
        Assert.Equal(Own, ip.Header.Source.Value.Host);
        Assert.True(UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp) && udp.HasValidChecksum(ip.Header.Source, ip.Header.Destination));
        PacketPools.Free(sent);
    }

    [Fact]
    public async Task ADatagramWithNoRouteIsDroppedAndCounted()
    {
        _bench.Routes.Delete(Flow.Stages.Routing.Ipv4Prefix.Parse("0.0.0.0/0"));
        using FlowUdpSocket socket = _bench.Socket();
        await socket.SendToAsync(Hello, EndPoint(0x08080808, 53));
        _bench.SendHarness.Poll();
        Assert.Equal(1, _bench.SendHarness.Stats.DroppedFor("no_route"));
    }

    [Fact]
    public async Task PortUnreachableAboutAConnectedSocketsDatagramFailsItsNextReceiveOnce()
    {
        using FlowUdpSocket socket = _bench.Socket();
        socket.Connect(EndPoint(Neighbour, 4000));
        _bench.ErrorHarness.Process([PortUnreachable(Neighbour, (ushort)socket.LocalEndPoint!.Port, 4000)]);
        SocketException refused = await Assert.ThrowsAsync<SocketException>(async () => await socket.ReceiveAsync(new byte[8]));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.False(socket.ReceiveAsync(new byte[8]).IsCompleted);
    }

    [Fact]
    public void AnErrorAboutAnUnconnectedSocketsDatagramIsNotReported()
    {
        using FlowUdpSocket socket = _bench.Socket();
        socket.Bind(new IPEndPoint(IPAddress.Any, 5000));
        _bench.ErrorHarness.Process([PortUnreachable(Neighbour, 5000, 4000)]);
        Assert.Equal(1, _bench.ErrorHarness.Stats.DroppedFor("no_socket"));
    }

    /// <summary>Port unreachable from <paramref name="from"/> quoting a datagram of ours (port <paramref name="ourPort"/> to <paramref name="theirPort"/>).</summary>
    private Packet PortUnreachable(uint from, ushort ourPort, ushort theirPort)
    {
        Packet original = _bench.Datagram(Own, ourPort, from, theirPort, Hello);
        byte[] quoted = original.Data.Slice(EthernetHeader.Size).ToArray();
        PacketPools.Free(original);
        byte[] frame = new byte[EthernetHeader.Size + Ipv4Header.Size + IcmpHeader.Size + quoted.Length];
        Span<byte> icmp = frame.AsSpan(EthernetHeader.Size + Ipv4Header.Size);
        icmp[0] = IcmpType.DestinationUnreachable;
        icmp[1] = IcmpType.CodePortUnreachable;
        quoted.CopyTo(icmp.Slice(IcmpHeader.Size));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(2), Checksum.Compute(icmp).Host);
        Ipv4Builder.TryWriteHeader(frame.AsSpan(EthernetHeader.Size), new Ipv4Address(new NetU32(from)), new Ipv4Address(new NetU32(Own)), IpProtocol.Icmp, icmp.Length);
        EthernetBuilder.TryWriteHeader(frame, Mac(OwnMac), Mac("02:00:00:00:00:0a"), EtherType.Ipv4);
        Packet packet = _bench.Received.Make(frame);
        packet.Meta.L3Offset = EthernetHeader.Size;
        return packet;
    }
}
