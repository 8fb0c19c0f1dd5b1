using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Flow.Net.Internal;
using Flow.Protocols;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;

namespace Flow.Net.Udp;

public sealed partial class FlowUdpSocket
{
    /// <summary>Headers in front of a datagram's data in a frame: Ethernet (written by the stack), IPv4, UDP.</summary>
    internal const int HeadersLength = EthernetHeader.Size + Ipv4Header.Size + UdpHeader.Size;

    /// <summary>The most data one datagram carries: what fits one frame of the stack's send pool.</summary>
    public int MaxDatagramSize => _stack.SendPool.FrameSize - _stack.SendPool.DataOffset - HeadersLength;

    /// <summary>Sends <paramref name="buffer"/> to the connected peer (<see cref="SocketError.NotConnected"/> otherwise).</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        long peer = PeerKey;
        if (peer == 0)
        {
            throw new SocketException((int)SocketError.NotConnected);
        }
        return SendAsync(buffer.Span, peer, cancellationToken);
    }

    /// <summary>Sends <paramref name="buffer"/> to <paramref name="remoteEP"/>; binds an ephemeral port first when the socket is not bound.</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, EndPoint remoteEP, CancellationToken cancellationToken = default)
    {
        IPEndPoint remote = FlowEndPoints.AsIPv4(remoteEP);
        uint address = FlowEndPoints.HostOrder(remote.Address);
        if (address == 0 || remote.Port == 0)
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
        return SendAsync(buffer.Span, Key(address, (ushort)remote.Port), cancellationToken);
    }

    private ValueTask<int> SendAsync(ReadOnlySpan<byte> data, long remote, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        uint address = (uint)(remote >> 16);
        if (IsBroadcast(address) && !EnableBroadcast)
        {
            throw new SocketException((int)SocketError.AccessDenied);
        }
        if (data.Length > MaxDatagramSize)
        {
            throw new SocketException((int)SocketError.MessageSize);
        }
        BindIfUnbound();
        Packet packet = Write(data, remote);
        lock (_sendLock)
        {
            if (Outgoing.Enqueue(new ReadOnlySpan<Packet>(in packet)) == 1)
            {
                return new ValueTask<int>(data.Length);
            }
        }
        return WaitToSendAsync(packet, data.Length, cancellationToken);
    }

    /// <summary>
    /// Writes the datagram into a frame of the stack's send pool: IPv4 and UDP headers, the data,
    /// and the data's checksum sum in <see cref="PacketMeta.UserWord"/>. The source address stays 0
    /// when the socket is bound to any address, and the checksums unfinished: <c>udp_send</c> picks
    /// the source by the route and finishes both on the worker.
    /// </summary>
    private Packet Write(ReadOnlySpan<byte> data, long remote) =>
        // Every frame of the pool is queued or in flight: ENOBUFS, as Linux says for a full qdisc.
        TryWrite(data, remote, out Packet packet) ? packet : throw new SocketException((int)SocketError.NoBufferSpaceAvailable);

    private unsafe bool TryWrite(ReadOnlySpan<byte> data, long remote, out Packet packet)
    {
        if (!_stack.SendPool.TryAllocate(out packet))
        {
            return false;
        }
        long local = LocalKey;
        Span<byte> frame = new(packet.DataPointer, packet.Tailroom + packet.Length);
        frame.Slice(0, EthernetHeader.Size - 2).Clear();
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(EthernetHeader.Size - 2), EtherType.Ipv4);
        var source = new Ipv4Address(new NetU32((uint)(local >> 16)));
        var destination = new Ipv4Address(new NetU32((uint)(remote >> 16)));
        Ipv4Builder.TryWriteHeader(frame.Slice(EthernetHeader.Size), source, destination, IpProtocol.Udp, UdpHeader.Size + data.Length,
            identification: (ushort)Interlocked.Increment(ref _identification));
        Span<byte> udp = frame.Slice(EthernetHeader.Size + Ipv4Header.Size);
        ref UdpHeader header = ref System.Runtime.InteropServices.MemoryMarshal.AsRef<UdpHeader>(udp);
        header.SourcePort = new NetU16((ushort)local);
        header.DestinationPort = new NetU16((ushort)remote);
        header.Length = new NetU16((ushort)(UdpHeader.Size + data.Length));
        header.Checksum = default;
        data.CopyTo(udp.Slice(UdpHeader.Size));
        ref PacketMeta meta = ref packet.Meta;
        meta.Length = (ushort)(HeadersLength + data.Length);
        meta.L2Offset = 0;
        meta.L3Offset = EthernetHeader.Size;
        meta.L4Offset = EthernetHeader.Size + Ipv4Header.Size;
        meta.Flags |= PacketFlags.L3Valid;
        meta.UserWord = Checksum.Sum(data);
        return true;
    }

    private async ValueTask<int> WaitToSendAsync(Packet packet, int length, CancellationToken cancellationToken)
    {
        // The send signal takes one waiter: senders that find the ring full queue here first.
        await _sendWaiters.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                ThrowIfClosed();
                bool queued;
                lock (_sendLock)
                {
                    queued = Outgoing.Enqueue(new ReadOnlySpan<Packet>(in packet)) == 1;
                }
                if (queued)
                {
                    packet = default;
                    return length;
                }
                await _sendSignal.WaitUnlessAsync(static s => s.Outgoing.Count < s.Outgoing.Capacity || Volatile.Read(ref s._closed) != 0,
                    this, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendWaiters.Release();
            if (!packet.IsNull)
            {
                PacketPools.Free(packet);
            }
        }
    }
}
