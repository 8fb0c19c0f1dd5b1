using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Flow.Net.Tcp;

/// <summary>
/// The stack's TCP state shared by <c>tcp_receive</c>, <c>tcp_send</c> and the application's
/// listeners and streams: listening ports (published by application threads), the connections
/// (the worker's alone), the requests applications leave for the worker, and the connections the
/// worker has output for.
/// </summary>
/// <remarks>
/// Both TCP stages run on one worker, so the connection table, the ready queue and every
/// connection's control block have one writer and need no lock. Applications reach the worker
/// through <see cref="Request"/>: a connection is queued once until the worker looks at it.
/// </remarks>
public sealed class TcpTable
{
    /// <summary>Ports an active open takes (IANA's dynamic range, RFC 6335 6; chosen at random, RFC 6056).</summary>
    public const int FirstEphemeralPort = 49152;

    public const int LastEphemeralPort = 65535;

    private readonly FlowTcpListener?[] _listeners = new FlowTcpListener?[65536];
    private readonly Lock _listenersLock = new();
    private readonly ConcurrentQueue<TcpConnection> _requests = new();
    private readonly Queue<TcpConnection> _ready = new();
    // How many hold each local port: a socket that bound it (until it closes), a listener that
    // took it itself, an active open's connection (until CLOSED, TIME-WAIT included). A port is
    // taken only from 0, by compare-and-swap, from application threads (Bind, Listen) and the
    // worker (ephemeral ports) alike, so it is never given twice.
    private readonly int[] _portHolders = new int[65536];
    private readonly Queue<TcpStatelessReply> _replies = new();

    /// <summary>The worker's connections by four-tuple.</summary>
    internal Dictionary<TcpKey, TcpConnection> Connections { get; } = [];

    /// <summary>Connections in TIME-WAIT and other closing states count here too; for stats and tests.</summary>
    public int ConnectionCount => Connections.Count;

    internal FlowTcpListener? Listener(ushort port) => Volatile.Read(ref _listeners[port]);

    /// <summary>
    /// Application: <paramref name="listener"/> listens on <paramref name="port"/>, which its
    /// socket holds since it bound it (<paramref name="held"/>) or which it takes now (and gives
    /// back when it stops).
    /// </summary>
    internal void Listen(FlowTcpListener listener, ushort port, bool held)
    {
        lock (_listenersLock)
        {
            if (_listeners[port] is not null || (!held && !TryReserve(port)))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
            Volatile.Write(ref _listeners[port], listener);
        }
    }

    /// <summary>Application: the listener stops; the port it took itself (<paramref name="held"/> false) is given back.</summary>
    internal void StopListening(FlowTcpListener listener, ushort port, bool held)
    {
        lock (_listenersLock)
        {
            if (_listeners[port] == listener)
            {
                Volatile.Write(ref _listeners[port], null);
                if (!held)
                {
                    Release(port);
                }
            }
        }
    }

    /// <summary>Application: takes <paramref name="port"/> for a socket's Bind; false when a socket, a listener or a connection holds it.</summary>
    internal bool TryReserve(ushort port) => port != 0 && Interlocked.CompareExchange(ref _portHolders[port], 1, 0) == 0;

    /// <summary>
    /// Takes a random free port of the ephemeral range (RFC 6056; 0 when none is free): for a
    /// socket's bind to port 0 (an application thread) or an unbound socket's connect (the worker).
    /// </summary>
    internal ushort TakeEphemeralPort()
    {
        const int count = LastEphemeralPort - FirstEphemeralPort + 1;
        int start = Random.Shared.Next(count);
        for (int i = 0; i < count; i++)
        {
            ushort port = (ushort)(FirstEphemeralPort + (start + i) % count);
            if (TryReserve(port))
            {
                return port;
            }
        }
        return 0;
    }

    /// <summary>A holder of <paramref name="port"/> lets go (a bound socket closed, a listener stopped).</summary>
    internal void Release(ushort port) => Interlocked.Decrement(ref _portHolders[port]);

    /// <summary>Application: the worker should look at <paramref name="connection"/> (an open, data to send, a close, room to receive).</summary>
    internal void Request(TcpConnection connection)
    {
        if (Interlocked.CompareExchange(ref connection.QueuedForWorker, 1, 0) == 0)
        {
            _requests.Enqueue(connection);
        }
    }

    /// <summary>Worker: the next connection an application asked about.</summary>
    internal bool TryTakeRequest(out TcpConnection connection)
    {
        if (_requests.TryDequeue(out connection!))
        {
            Volatile.Write(ref connection.QueuedForWorker, 0);
            return true;
        }
        return false;
    }

    /// <summary>Worker: <paramref name="connection"/> has segments to send.</summary>
    internal void MarkReady(TcpConnection connection)
    {
        if (!connection.InReadyQueue)
        {
            connection.InReadyQueue = true;
            _ready.Enqueue(connection);
        }
    }

    internal bool TryTakeReady(out TcpConnection connection)
    {
        if (_ready.TryDequeue(out connection!))
        {
            connection.InReadyQueue = false;
            return true;
        }
        return false;
    }

    /// <summary>Retransmission timeouts that fired (RFC 6298 5.4), handshakes included.</summary>
    public long RetransmissionTimeouts { get; internal set; }

    /// <summary>Fast retransmits: loss recoveries entered on duplicate ACKs (RFC 5681 3.2).</summary>
    public long FastRetransmits { get; internal set; }

    /// <summary>Handlers on the worker that threw: each reset its connection.</summary>
    public long WorkerHandlerFailures { get; internal set; }

    /// <summary>Tail loss probes sent (RFC 8985 7): a segment two round trips after the last ACK, instead of waiting for a timeout.</summary>
    public long TailLossProbes { get; internal set; }

    /// <summary>Segments loss recovery sent again: holes the peer's SACK blocks showed, or the first unacknowledged segment.</summary>
    public long RecoveryRetransmissions { get; internal set; }

    /// <summary>Worker: the active open of a socket bound to <paramref name="port"/> holds it too (the socket holds it until it closes).</summary>
    internal void HoldBoundPort(ushort port) => Interlocked.Increment(ref _portHolders[port]);

    /// <summary>Resets and SYN-cookie SYN-ACKs waiting to be sent at most; more are dropped (a flood).</summary>
    public const int MaxQueuedReplies = 256;

    /// <summary>The MSS this stack announces (its smallest MTU less 40), set by <c>tcp_send</c>.</summary>
    internal int OwnMss { get; set; } = 1460;

    /// <summary>The congestion controller of every connection, set by <c>tcp_send</c>.</summary>
    internal TcpCongestionControl Congestion { get; set; }

    /// <summary>How long TIME-WAIT lasts, set by <c>tcp_send</c>.</summary>
    internal long TimeWaitNs { get; set; } = 60_000_000_000;

    /// <summary>Worker: queues a reset or SYN-ACK for <c>tcp_send</c>; false when the queue is full.</summary>
    internal bool QueueReply(TcpStatelessReply reset)
    {
        if (_replies.Count >= MaxQueuedReplies)
        {
            return false;
        }
        _replies.Enqueue(reset);
        return true;
    }

    internal bool TryTakeReply(out TcpStatelessReply reset) => _replies.TryDequeue(out reset);

    /// <summary>Worker: a reply that did not fit this burst goes out next time.</summary>
    internal void ReturnReply(TcpStatelessReply reset)
    {
        // Rare (a full burst of replies): their order does not matter.
        _replies.Enqueue(reset);
    }

    /// <summary>The window scale (RFC 7323 2.2) that lets a window cover a receive buffer of <paramref name="capacity"/> bytes.</summary>
    internal static byte ScaleFor(int capacity)
    {
        byte scale = 0;
        while ((ushort.MaxValue << scale) < capacity && scale < 14)
        {
            scale++;
        }
        return scale;
    }

    internal void Add(TcpConnection connection) => Connections[connection.Key] = connection;

    /// <summary>Worker: forgets a connection that reached CLOSED (and the local port an active open took).</summary>
    internal void Remove(TcpConnection connection)
    {
        if (Connections.Remove(connection.Key) && connection.Listener is null)
        {
            Release(connection.Key.LocalPort);
        }
        connection.State = TcpState.Closed;
    }
}
