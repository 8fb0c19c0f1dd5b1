using System.Net.Sockets;

namespace Flow.Net.Udp;

/// <summary>
/// Handles one datagram on the stack's worker (<see cref="FlowUdpSocket.ReceiveOnWorker"/>). The
/// datagram's frame goes back to its port when the handler returns: copy what must outlive it.
/// </summary>
public delegate void FlowDatagramHandler(FlowUdpSocket socket, in FlowDatagram datagram);

public sealed partial class FlowUdpSocket
{
    [ThreadStatic]
    private static FlowUdpSocket? t_handling;

    private FlowDatagramHandler? _workerHandler;
    private long _workerSendDrops;

    /// <summary>Datagrams a handler on the worker answered with, for <c>udp_send</c> on the same worker.</summary>
    internal SpscRing<Packet> WorkerOutgoing { get; }

    internal FlowDatagramHandler? WorkerHandler => Volatile.Read(ref _workerHandler);

    /// <summary>Replies a handler could not send: no frame free in the send pool, or its reply queue full.</summary>
    public long WorkerSendDrops => Volatile.Read(ref _workerSendDrops);

    /// <summary>
    /// Run to completion, f-stack's model: <paramref name="handler"/> runs on the stack's worker for
    /// each datagram as <c>udp_receive</c> takes it — no queue, no thread woken — and answers with
    /// <see cref="Reply"/>, which the worker sends on its next pass. The handler holds up the worker
    /// and every socket on it while it runs, so it must be short and never block; an exception it
    /// throws drops its datagram (counted as <c>udp_receive</c>'s <c>handler_failed</c>). Null goes
    /// back to queued delivery for the receive calls. The socket must be bound.
    /// </summary>
    public void ReceiveOnWorker(FlowDatagramHandler? handler)
    {
        ThrowIfClosed();
        if (LocalKey == 0)
        {
            throw new InvalidOperationException("bind the socket before it receives on the worker");
        }
        if (handler is not null && Volatile.Read(ref _receiving) != 0)
        {
            throw new InvalidOperationException("a receive is waiting on this socket");
        }
        Volatile.Write(ref _workerHandler, handler);
    }

    /// <summary>
    /// From this socket's <see cref="ReceiveOnWorker"/> handler: sends <paramref name="data"/> to the
    /// sender of <paramref name="datagram"/>, without waiting. False (counted in
    /// <see cref="WorkerSendDrops"/>) when no frame is free or the reply queue is full, as a full
    /// qdisc drops.
    /// </summary>
    public bool Reply(in FlowDatagram datagram, ReadOnlySpan<byte> data)
    {
        if (t_handling != this)
        {
            throw new InvalidOperationException("Reply answers from this socket's ReceiveOnWorker handler, on the worker");
        }
        if (data.Length > MaxDatagramSize)
        {
            throw new SocketException((int)SocketError.MessageSize);
        }
        if (!TryWrite(data, Key(datagram.RemoteAddress, datagram.RemotePort), out Packet packet))
        {
            _workerSendDrops++;
            return false;
        }
        if (WorkerOutgoing.Enqueue(new ReadOnlySpan<Packet>(in packet)) == 0)
        {
            PacketPools.Free(packet);
            _workerSendDrops++;
            return false;
        }
        return true;
    }

    /// <summary>Worker (<c>udp_receive</c>): runs the handler on a datagram; false when it threw.</summary>
    internal bool Handle(FlowDatagramHandler handler, in FlowDatagram datagram)
    {
        t_handling = this;
        try
        {
            handler(this, datagram);
            return true;
        }
#pragma warning disable CA1031 // the application's failure must not end the worker: it is counted as a drop
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
        finally
        {
            t_handling = null;
        }
    }
}
