using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Flow.Net.Internal;

namespace Flow.Net.Tcp;

/// <summary>
/// Listens for TCP connections on Flow's stack, as <see cref="TcpListener"/> does on the
/// kernel's: <see cref="Start"/>, <see cref="AcceptAsync"/>, <see cref="Stop"/>.
/// </summary>
/// <remarks>
/// The backlog bounds two queues: connections half open (SYN received) and those established
/// and not accepted yet. A SYN that finds the half-open queue full is answered with a SYN cookie
/// (<see cref="SynCookies"/>, counted as <c>syn_cookie</c>) instead of a queue entry, so a SYN
/// flood costs no memory and a real client still connects; one that finds the accept queue full
/// is dropped (<c>backlog_full</c>), as Linux does.
/// </remarks>
public sealed class FlowTcpListener : IDisposable
{
    private readonly SocketHost _host;
    private readonly ConcurrentQueue<TcpConnection> _accepted = new();
    private readonly SocketSignal _acceptSignal = new();
    private readonly SemaphoreSlim _acceptors = new(1, 1);
    private int _queued;
    private int _started;
    private int _stopped;

    internal FlowTcpListener(SocketHost host, IPEndPoint local, int sendBufferSize, int receiveBufferSize)
    {
        _host = host;
        LocalEndPoint = local;
        Address = FlowEndPoints.HostOrder(local.Address);
        SendBufferSize = sendBufferSize;
        ReceiveBufferSize = receiveBufferSize;
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary><see cref="LocalEndPoint"/> under <see cref="TcpListener.LocalEndpoint"/>'s name.</summary>
    public EndPoint LocalEndpoint => LocalEndPoint;

    internal uint Address { get; }

    internal int SendBufferSize { get; }

    internal int ReceiveBufferSize { get; }

    internal int Backlog { get; private set; } = 128;

    /// <summary>Worker: connections in SYN-RECEIVED for this listener.</summary>
    internal int SynQueue { get; set; }

    /// <summary>Established connections not accepted yet.</summary>
    internal int Queued => Volatile.Read(ref _queued);

    /// <summary>Starts listening; <paramref name="backlog"/> bounds the half-open and the unaccepted connections, each.</summary>
    public void Start(int backlog = 128)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(backlog, 1);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
        if (Address != 0 && !_host.Interfaces.IsOwnAddress(Address))
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
        if (LocalEndPoint.Port == 0)
        {
            throw new SocketException((int)SocketError.InvalidArgument);
        }
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the listener is started already");
        }
        Backlog = backlog;
        _host.Tcp.Listen(this, (ushort)LocalEndPoint.Port, PortHeld);
    }

    /// <summary>Whether a bound socket holds the port (a FlowSocket's listener); else the listener takes it itself.</summary>
    internal bool PortHeld { get; init; }

    /// <summary>
    /// Starts listening with every connection served run to completion on the stack's worker by
    /// <paramref name="handler"/> (<see cref="FlowTcpWorkerConnection"/>), not accepted by
    /// <see cref="AcceptAsync"/>; <paramref name="backlog"/> bounds the half-open connections.
    /// </summary>
    public void StartOnWorker(FlowTcpWorkerHandler handler, int backlog = 128)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("the listener is started already");
        }
        WorkerHandler = handler;
        Start(backlog);
    }

    internal FlowTcpWorkerHandler? WorkerHandler { get; private set; }

    /// <summary>The next established connection, as a stream.</summary>
    public async ValueTask<FlowTcpStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (WorkerHandler is not null)
        {
            throw new InvalidOperationException("this listener's connections are served on the worker (StartOnWorker), not accepted");
        }
        await _acceptors.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
                if (_accepted.TryDequeue(out TcpConnection? connection))
                {
                    Interlocked.Decrement(ref _queued);
                    return new FlowTcpStream(_host, connection);
                }
                await _acceptSignal.WaitUnlessAsync(static l => !l._accepted.IsEmpty || Volatile.Read(ref l._stopped) != 0, this, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _acceptors.Release();
        }
    }

    /// <summary>The next established connection, as a <see cref="FlowSocket"/> (<see cref="TcpListener.AcceptSocketAsync()"/>).</summary>
    public async ValueTask<FlowSocket> AcceptSocketAsync(CancellationToken cancellationToken = default) =>
        new(_host, await AcceptAsync(cancellationToken).ConfigureAwait(false), listening: null);

    /// <summary>The next established connection, as a <see cref="FlowTcpClient"/> (<see cref="TcpListener.AcceptTcpClientAsync()"/>).</summary>
    public async ValueTask<FlowTcpClient> AcceptTcpClientAsync(CancellationToken cancellationToken = default) =>
        new(await AcceptSocketAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Whether a connection waits to be accepted (<see cref="InvalidOperationException"/> before <see cref="Start"/>, as <see cref="TcpListener.Pending"/>).</summary>
    public bool Pending()
    {
        if (Volatile.Read(ref _started) == 0 || Volatile.Read(ref _stopped) != 0)
        {
            throw new InvalidOperationException("Not listening. You must call the Start() method before calling this method.");
        }
        return !_accepted.IsEmpty;
    }

    /// <summary>Worker: <paramref name="connection"/> reached ESTABLISHED.</summary>
    internal void Enqueue(TcpConnection connection)
    {
        if (WorkerHandler is { } handler)
        {
            connection.Worker = new FlowTcpWorkerConnection(_host.Tcp, connection, handler);
            return;
        }
        Interlocked.Increment(ref _queued);
        _accepted.Enqueue(connection);
        _acceptSignal.Wake();
    }

    /// <summary>Stops listening; connections not accepted yet are reset.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        _host.Tcp.StopListening(this, (ushort)LocalEndPoint.Port, PortHeld);
        _acceptSignal.Fail(new ObjectDisposedException(nameof(FlowTcpListener)));
        while (_accepted.TryDequeue(out TcpConnection? connection))
        {
            Volatile.Write(ref connection.Aborted, 1);
            _host.Tcp.Request(connection);
        }
    }

    public void Dispose() => Stop();
}
