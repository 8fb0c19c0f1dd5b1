using System.Net;
using System.Net.Sockets;
using Flow.Net.Internal;

namespace Flow.Net.Tcp;

/// <summary>
/// Handles a connection on the stack's worker (<see cref="FlowTcpListener.StartOnWorker"/>): called
/// when data or the peer's FIN arrived, when the connection failed, and when acknowledgments made
/// room after a write fell short or while data waits unread.
/// </summary>
public delegate void FlowTcpWorkerHandler(FlowTcpWorkerConnection connection);

/// <summary>
/// A TCP connection served run to completion on the stack's worker, f-stack's model: its handler
/// reads and writes the connection's buffers directly, inside <c>tcp_receive</c>, and what it
/// writes goes out on the worker's next pass — no thread woken, no task, no lock. The handler
/// holds up the worker and every connection on it while it runs, so it must be short and never
/// block; only the handler may call <see cref="Read"/>, <see cref="Write"/> and
/// <see cref="Shutdown"/>. A handler that throws resets its connection (counted in
/// <see cref="TcpTable.WorkerHandlerFailures"/>).
/// </summary>
public sealed class FlowTcpWorkerConnection
{
    [ThreadStatic]
    private static FlowTcpWorkerConnection? t_handling;

    private readonly TcpTable _table;
    private readonly TcpConnection _connection;
    private readonly FlowTcpWorkerHandler _handler;
    private bool _wantsWrite;
    private bool _handlerFailed;

    internal FlowTcpWorkerConnection(TcpTable table, TcpConnection connection, FlowTcpWorkerHandler handler)
    {
        _table = table;
        _connection = connection;
        _handler = handler;
    }

    public IPEndPoint LocalEndPoint => new(FlowEndPoints.Address(_connection.Key.LocalAddress), _connection.Key.LocalPort);

    public IPEndPoint RemoteEndPoint => new(FlowEndPoints.Address(_connection.Key.RemoteAddress), _connection.Key.RemotePort);

    /// <summary>What the application keeps with the connection (a parser's state, a response in progress).</summary>
    public object? State { get; set; }

    /// <summary>Bytes received and not read yet.</summary>
    public int Available => _connection.Receive.Count;

    /// <summary>The peer sent its FIN and every byte before it has been read.</summary>
    public bool PeerFinished => Volatile.Read(ref _connection.PeerFinished) == 1 && _connection.Receive.Count == 0;

    /// <summary>Why the connection failed (<see cref="SocketError.ConnectionReset"/>, <see cref="SocketError.TimedOut"/>), or <see cref="SocketError.Success"/>.</summary>
    public SocketError Error => (SocketError)Volatile.Read(ref _connection.Error);

    /// <summary>Room in the send buffer: what <see cref="Write"/> takes now.</summary>
    public int WriteSpace => _connection.Send.Free;

    /// <summary>Small segments go out at once (no Nagle), as <see cref="Socket.NoDelay"/>.</summary>
    public bool NoDelay
    {
        get => Volatile.Read(ref _connection.NoDelay) == 1;
        set => Volatile.Write(ref _connection.NoDelay, value ? 1 : 0);
    }

    /// <summary>Copies received data into <paramref name="destination"/>; returns how many bytes (0: nothing now, or <see cref="PeerFinished"/>).</summary>
    public int Read(Span<byte> destination)
    {
        ThrowUnlessHandling();
        TcpConnection c = _connection;
        ByteRing ring = c.Receive;
        long head = ring.Head;
        int n = ring.CopyOut(head, destination);
        if (n > 0)
        {
            ring.ReleaseTo(head + n);
            if (c.IsSynchronized && c.WindowUpdateDue)
            {
                c.AckPending = true;
                _table.MarkReady(c);
            }
        }
        return n;
    }

    /// <summary>
    /// Queues what fits of <paramref name="data"/> for sending; returns how many bytes. When that
    /// is short, the handler is called again once acknowledgments made room.
    /// </summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        ThrowUnlessHandling();
        TcpConnection c = _connection;
        if (Volatile.Read(ref c.SendClosed) == 1 || c.State == TcpState.Closed)
        {
            throw new SocketException((int)SocketError.Shutdown);
        }
        int n = c.Send.Write(data);
        _wantsWrite = n < data.Length;
        if (n > 0)
        {
            _table.MarkReady(c);
        }
        return n;
    }

    /// <summary>Sends a FIN after the data written so far; reading goes on.</summary>
    public void Shutdown()
    {
        ThrowUnlessHandling();
        Volatile.Write(ref _connection.SendClosed, 1);
        _table.MarkReady(_connection);
    }

    /// <summary>Ends the connection with a reset; data not sent yet is lost.</summary>
    public void Abort()
    {
        Volatile.Write(ref _connection.Aborted, 1);
        _table.Request(_connection);
    }

    /// <summary>Worker: the handler, for readable data, the end, a failure, or room after a short write.</summary>
    internal void Handle(bool writable)
    {
        // Room matters to a handler whose write fell short, or that left data unread for want of it.
        // A handler that threw is not called on its connection again.
        if (_handlerFailed || (writable && !_wantsWrite && _connection.Receive.Count == 0))
        {
            return;
        }
        _wantsWrite = false;
        t_handling = this;
        try
        {
            _handler(this);
        }
#pragma warning disable CA1031 // the application's failure must not end the worker: it resets its own connection
        catch (Exception)
#pragma warning restore CA1031
        {
            _table.WorkerHandlerFailures++;
            _handlerFailed = true;
            Abort();
        }
        finally
        {
            t_handling = null;
        }
    }

    private void ThrowUnlessHandling()
    {
        if (t_handling != this)
        {
            throw new InvalidOperationException("a worker connection is read and written by its handler, on the worker");
        }
    }
}
