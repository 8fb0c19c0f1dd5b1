using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;

namespace Flow.Net.Udp;

/// <summary>
/// UDP input (RFC 768, RFC 1122 4.1.3): puts each datagram for the host in the receive ring of
/// the socket bound to its destination port, or refuses it with port unreachable.
/// </summary>
/// <remarks>
/// Input: <c>ipv4_local</c>'s <c>udp</c> (every UDP datagram for the host's addresses and
/// broadcasts). A datagram goes to the socket of its port when the socket is bound to any
/// address or to the destination, and — for a connected socket — comes from its peer. Its frame
/// goes to the application as it is (<see cref="FlowDatagram"/>); the stage writes the checked
/// payload offset, length and sender into the packet's metadata first, so the application never
/// reads a length from frame memory a peer may write. A socket with a handler on the worker
/// (<see cref="FlowUdpSocket.ReceiveOnWorker"/>) gets its datagrams here and now instead: the
/// handler runs in this stage (<c>handler_failed</c> counts those it threw on) and the frame goes
/// back after it.
/// Output <c>unreachable</c>: datagrams to a port no socket has, with
/// <see cref="IcmpErrorRequest.PortUnreachable"/> in <see cref="PacketMeta.UserWord"/>, for
/// <c>icmp_error</c> (RFC 1122 4.1.3.1) — except broadcasts, which are dropped (<c>no_socket</c>:
/// no ICMP error answers a broadcast, RFC 1122 3.2.2).
/// </remarks>
[SingleShard("its sockets' receive rings have one producer")]
[Stage("udp_receive", "UDP input: delivers datagrams to the socket bound to their port, port unreachable for the rest.",
    Accepts = typeof(Carries.Ipv4))]
public sealed class UdpReceiver : Stage<UdpReceiver.Output, UdpReceiver.Reason>, IDisposable
{
    private readonly UdpPortTable _ports;
    private readonly RouterInterfaceTable _interfaces;
    private readonly UdpReceiveMemory _memory;
    private readonly PacketPool _copies;

    public UdpReceiver(UdpReceiverOptions options, UdpPortTable ports)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CopyPoolFrames, 1, nameof(options.CopyPoolFrames));
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
        _ports = ports;
        _copies = PacketPool.Create(options.CopyPoolFrames, name: "udp_receive");
        _memory = ports.ReceiveMemory;
        _memory.Configure(options.InPlaceFrames, _copies.Id);
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "datagrams to a port no socket has, with a port unreachable request in UserWord, for icmp_error")]
        Unreachable,
    }

    public enum Reason : byte
    {
        [DropReason("no valid IPv4 header at the L3 offset", Severity.Error)]
        Malformed,
        [DropReason("UDP header missing, or its length below 8 or beyond the IPv4 payload")]
        Truncated,
        [DropReason("UDP checksum does not match")]
        BadChecksum,
        [DropReason("broadcast datagram to a port no socket has (no ICMP error answers a broadcast)", Severity.Info)]
        NoSocket,
        [DropReason("datagram to a connected socket from another sender", Severity.Info)]
        NotFromPeer,
        [DropReason("the socket's receive ring is full: the application does not keep up", Severity.Warning)]
        SocketFull,
        [DropReason("the socket's handler on the worker threw", Severity.Error)]
        HandlerFailed,
        [DropReason("the sockets hold their share of the port's frames and every frame for copies is taken", Severity.Warning)]
        SocketMemory,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Deliver(packets[i]);
        }
    }

    private Next Deliver(Packet packet)
    {
        ref PacketMeta meta = ref packet.Meta;
        int l3 = meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip))
        {
            return Drop(Reason.Malformed);
        }
        if (!UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp))
        {
            return Drop(Reason.Truncated);
        }
        ref Ipv4Header header = ref ip.Header;
        if (!udp.HasValidChecksum(header.Source, header.Destination))
        {
            return Drop(Reason.BadChecksum);
        }
        uint destination = header.Destination.Value.Host;
        FlowUdpSocket? socket = _ports.Find(udp.Header.DestinationPort.Host);
        long local = socket?.LocalKey ?? 0;
        uint bound = (uint)(local >> 16);
        if (socket is null || (bound != 0 && bound != destination))
        {
            if (destination == uint.MaxValue || _interfaces.IsSubnetBroadcast(destination))
            {
                return Drop(Reason.NoSocket);
            }
            meta.UserWord = IcmpErrorRequest.PortUnreachable;
            return To(Output.Unreachable);
        }
        long sender = FlowUdpSocket.Key(header.Source.Value.Host, udp.Header.SourcePort.Host);
        long peer = socket.PeerKey;
        if (peer != 0 && peer != sender)
        {
            return Drop(Reason.NotFromPeer);
        }
        // What the application reads is bounded by these, in metadata no peer can write.
        int l4 = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(data), ref MemoryMarshal.GetReference(udp.Bytes));
        meta.L4Offset = (ushort)l4;
        meta.Length = (ushort)(l4 + udp.Bytes.Length);
        meta.UserWord = (ulong)sender;
        if (socket.WorkerHandler is { } handler)
        {
            // Run to completion: the application's handler, here and now; the frame goes back after it.
            if (!socket.Handle(handler, new FlowDatagram(packet)))
            {
                return Drop(Reason.HandlerFailed);
            }
            PacketPools.Free(packet);
            return Next.Consumed;
        }
        if (socket.Received.Count >= socket.Received.Capacity)
        {
            socket.CountReceiveQueueDrop();
            return Drop(Reason.SocketFull);
        }
        Packet queued = packet;
        if (!_memory.TryHoldInPlace())
        {
            if (!TryCopy(packet, out queued))
            {
                return Drop(Reason.SocketMemory);
            }
            PacketPools.Free(packet);
        }
        if (socket.Received.Enqueue(new ReadOnlySpan<Packet>(in queued)) == 0)
        {
            // Cannot happen: only this worker fills the ring, and it had room. Kept so that no
            // frame is ever lost uncounted if it did.
            _memory.Left(queued);
            if (queued != packet)
            {
                PacketPools.Free(queued);
                return Next.Consumed;
            }
            socket.CountReceiveQueueDrop();
            return Drop(Reason.SocketFull);
        }
        socket.SignalReceived();
        return Next.Consumed;
    }

    /// <summary>A copy of the datagram in this stage's pool, with the metadata the socket reads (offsets, length, sender).</summary>
    private bool TryCopy(Packet packet, out Packet copy)
    {
        if (!_copies.TryAllocate(out copy))
        {
            return false;
        }
        ref PacketMeta meta = ref packet.Meta;
        if (!copy.TrySetLength(meta.Length))
        {
            _copies.Free(copy);
            copy = default;
            return false;
        }
        packet.Data.CopyTo(copy.Data);
        ref PacketMeta copied = ref copy.Meta;
        copied.L3Offset = meta.L3Offset;
        copied.L4Offset = meta.L4Offset;
        copied.UserWord = meta.UserWord;
        _memory.CountCopy();
        return true;
    }

    public void Dispose() => _copies.Dispose();
}
