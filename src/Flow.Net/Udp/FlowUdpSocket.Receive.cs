using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Flow.Net.Udp;

public sealed partial class FlowUdpSocket
{
    /// <summary>Receives one datagram into <paramref name="buffer"/>; returns its length (cut to the buffer).</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask<FlowDatagram> pending = ReceiveDatagramAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            using FlowDatagram datagram = pending.Result;
            return new ValueTask<int>(datagram.CopyTo(buffer.Span));
        }
        return CopyWhenReceivedAsync(pending, buffer);
    }

    /// <summary>Receives one datagram into <paramref name="buffer"/>, with its sender.</summary>
    public async ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using FlowDatagram datagram = await ReceiveDatagramAsync(cancellationToken).ConfigureAwait(false);
        return new SocketReceiveFromResult { ReceivedBytes = datagram.CopyTo(buffer.Span), RemoteEndPoint = datagram.RemoteEndPoint };
    }

    /// <summary>
    /// Receives one datagram as the frame it arrived in (dispose it when done). Fails with the
    /// error an ICMP message reported for a connected socket, once, as Linux does.
    /// One receive waits at a time (<see cref="InvalidOperationException"/> for a second).
    /// </summary>
    public ValueTask<FlowDatagram> ReceiveDatagramAsync(CancellationToken cancellationToken = default)
    {
        // A closed socket keeps the receive flag (its close took the consumer's place), so this comes first.
        ThrowIfClosed();
        if (Interlocked.CompareExchange(ref _receiving, 1, 0) != 0)
        {
            throw new InvalidOperationException("a receive is already waiting on this socket");
        }
        bool waiting = false;
        try
        {
            if (TryTake(out FlowDatagram datagram) || (_busyPollTicks > 0 && BusyPoll(out datagram)))
            {
                return new ValueTask<FlowDatagram>(datagram);
            }
            waiting = true;
            return WaitForDatagramAsync(cancellationToken);
        }
        finally
        {
            if (!waiting)
            {
                Volatile.Write(ref _receiving, 0);
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlowDatagram> WaitForDatagramAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (TryTake(out FlowDatagram datagram))
                {
                    return datagram;
                }
                await _receiveSignal.WaitUnlessAsync(static s => !s.Received.IsEmpty || Volatile.Read(ref s._pendingError) != 0 || Volatile.Read(ref s._closed) != 0,
                    this, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    private bool TryTake(out FlowDatagram datagram)
    {
        ThrowIfClosed();
        int error = Interlocked.Exchange(ref _pendingError, 0);
        if (error != 0)
        {
            throw new SocketException(error);
        }
        Packet packet = default;
        if (Received.Dequeue(new Span<Packet>(ref packet)) == 1)
        {
            _stack.Ports.ReceiveMemory.Left(packet);
            datagram = new FlowDatagram(packet);
            return true;
        }
        datagram = default;
        return false;
    }

    /// <summary>Polls the receive ring for up to <see cref="ReceiveBusyPoll"/> before the receive parks.</summary>
    private bool BusyPoll(out FlowDatagram datagram)
    {
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + _busyPollTicks;
        var spin = default(SpinWait);
        do
        {
            spin.SpinOnce(sleep1Threshold: -1);
            if (TryTake(out datagram))
            {
                return true;
            }
        }
        while (System.Diagnostics.Stopwatch.GetTimestamp() < deadline);
        return false;
    }

    private static async ValueTask<int> CopyWhenReceivedAsync(ValueTask<FlowDatagram> pending, Memory<byte> buffer)
    {
        using FlowDatagram datagram = await pending.ConfigureAwait(false);
        return datagram.CopyTo(buffer.Span);
    }
}
