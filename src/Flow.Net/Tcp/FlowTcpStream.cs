using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Flow.Net.Internal;

namespace Flow.Net.Tcp;

/// <summary>
/// A TCP connection on Flow's stack as a <see cref="Stream"/>, the way <see cref="NetworkStream"/>
/// wraps a kernel socket: reads return what arrived in order (0 once the peer has finished),
/// writes copy into the connection's send buffer and return once it took everything,
/// <see cref="Shutdown"/> sends a FIN after the data, and disposing closes gracefully.
/// </summary>
/// <remarks>
/// One reader and one writer at a time, as with any stream. A reset or a timeout fails the next
/// read or write with an <see cref="IOException"/> around the <see cref="SocketException"/>
/// (<see cref="SocketError.ConnectionReset"/>, <see cref="SocketError.TimedOut"/>).
/// The connection is also an <see cref="IDuplexPipe"/>: <see cref="Input"/> reads the receive
/// buffer in place and <see cref="Output"/> writes into the send buffer in place, without the
/// stream's copies. Use either the stream or the pipe for each direction, not both at once.
/// </remarks>
public sealed class FlowTcpStream : Stream, IDuplexPipe
{
    private readonly SocketHost _host;
    private readonly TcpConnection _connection;
    private FlowTcpPipeReader? _input;
    private FlowTcpPipeWriter? _output;
    private int _disposed;

    internal FlowTcpStream(SocketHost host, TcpConnection connection)
    {
        _host = host;
        _connection = connection;
    }

    internal SocketHost Host => _host;

    internal TcpConnection Connection => _connection;

    /// <summary>
    /// The receive buffer as a <see cref="PipeReader"/>: a read returns the receive ring's own
    /// memory from the oldest unconsumed byte to the newest (two segments when it wraps), AdvanceTo
    /// frees what was consumed (the window opens), and the result is completed once the peer
    /// finished. Completing the reader leaves the connection open.
    /// </summary>
    public PipeReader Input => _input ??= new FlowTcpPipeReader(this);

    /// <summary>
    /// The send buffer as a <see cref="PipeWriter"/>: GetMemory hands out the send ring's own free
    /// space (memory of the writer's own when the ring has less than the size asked, copied in by
    /// the flush), FlushAsync hands what was written to the stack and waits only while the ring
    /// cannot take it, and completing the writer sends a FIN after the data.
    /// </summary>
    public PipeWriter Output => _output ??= new FlowTcpPipeWriter(this);

    /// <summary>
    /// Opens a connection to <paramref name="remoteEndPoint"/>: the worker picks the source address
    /// by the route and an ephemeral port (see <see cref="FlowStack.ConnectTcpAsync"/>), unless
    /// <paramref name="localEndPoint"/> names them (a socket bound before it connects).
    /// </summary>
    internal static async ValueTask<FlowTcpStream> ConnectAsync(SocketHost host, IPEndPoint remoteEndPoint, int sendBufferSize, int receiveBufferSize,
        CancellationToken cancellationToken, IPEndPoint? localEndPoint = null)
    {
        uint address = FlowEndPoints.HostOrder(remoteEndPoint.Address);
        if (address == 0 || remoteEndPoint.Port == 0)
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
        uint localAddress = localEndPoint is null ? 0 : FlowEndPoints.HostOrder(localEndPoint.Address);
        ushort localPort = (ushort)(localEndPoint?.Port ?? 0);
        var connection = new TcpConnection(new TcpKey(localAddress, localPort, address, (ushort)remoteEndPoint.Port), sendBufferSize, receiveBufferSize, listener: null);
        Volatile.Write(ref connection.OpenRequested, 1);
        host.Tcp.Request(connection);
        try
        {
            await connection.Connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Volatile.Write(ref connection.Aborted, 1);
            host.Tcp.Request(connection);
            throw;
        }
        return new FlowTcpStream(host, connection);
    }

    public IPEndPoint LocalEndPoint => new(FlowEndPoints.Address(_connection.Key.LocalAddress), _connection.Key.LocalPort);

    public IPEndPoint RemoteEndPoint => new(FlowEndPoints.Address(_connection.Key.RemoteAddress), _connection.Key.RemotePort);

    /// <summary>Sends small writes at once instead of holding them while data is in flight (Nagle's algorithm off), as Socket.NoDelay.</summary>
    public bool NoDelay
    {
        get => Volatile.Read(ref _connection.NoDelay) == 1;
        set => Volatile.Write(ref _connection.NoDelay, value ? 1 : 0);
    }

    /// <summary>
    /// Keep-alive (SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT): after
    /// <paramref name="idle"/> without a segment from the peer, a probe every
    /// <paramref name="interval"/>; after <paramref name="probes"/> unanswered the connection fails
    /// with <see cref="SocketError.TimedOut"/>. Checked at the stack's timer rate.
    /// </summary>
    public void EnableKeepAlive(TimeSpan idle, TimeSpan interval, int probes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idle, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(probes, 1);
        _connection.KeepAliveIntervalNs = (long)interval.TotalNanoseconds;
        _connection.KeepAliveProbes = probes;
        Volatile.Write(ref _connection.KeepAliveIdleNs, (long)idle.TotalNanoseconds);
    }

    /// <summary>Turns keep-alive off again (the worker sends no more probes).</summary>
    public void DisableKeepAlive() => Volatile.Write(ref _connection.KeepAliveIdleNs, 0);

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }
        TcpConnection c = _connection;
        while (true)
        {
            int n = TryRead(buffer.Span);
            if (n > 0)
            {
                return n;
            }
            if (Volatile.Read(ref c.PeerFinished) == 1 && c.Receive.Count == 0)
            {
                return 0;
            }
            ThrowIfFailed();
            await c.ReceiveSignal.WaitUnlessAsync(static c => c.Receive.Count > 0 || Volatile.Read(ref c.PeerFinished) == 1 || Volatile.Read(ref c.Error) != 0,
                c, cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        TcpConnection c = _connection;
        if (Volatile.Read(ref c.SendClosed) == 1)
        {
            throw new IOException("the connection was shut down for sending", new SocketException((int)SocketError.Shutdown));
        }
        while (!buffer.IsEmpty)
        {
            ThrowIfFailed();
            if (c.State == TcpState.Closed)
            {
                throw new IOException("the connection is closed", new SocketException((int)SocketError.Shutdown));
            }
            int written = c.Send.Write(buffer.Span);
            if (written > 0)
            {
                buffer = buffer.Slice(written);
                _host.Tcp.Request(c);
                continue;
            }
            await c.SendSignal.WaitUnlessAsync(static c => c.Send.Free > 0 || Volatile.Read(ref c.Error) != 0 || c.State == TcpState.Closed,
                c, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a FIN after the data written so far (the peer's reads then end); reading goes on.</summary>
    public void Shutdown()
    {
        if (Interlocked.Exchange(ref _connection.SendClosed, 1) == 0)
        {
            _host.Tcp.Request(_connection);
        }
    }

    /// <summary>Ends the connection at once with a reset; data not sent yet is lost.</summary>
    public void Abort()
    {
        Volatile.Write(ref _connection.Aborted, 1);
        _host.Tcp.Request(_connection);
        Volatile.Write(ref _disposed, 1);
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Writes go out as the window and Nagle allow; there is no buffer of the stream's own to flush.</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Shutdown();
        }
        base.Dispose(disposing);
    }

    private int TryRead(Span<byte> destination)
    {
        ByteRing ring = _connection.Receive;
        long head = ring.Head;
        int n = ring.CopyOut(head, destination);
        if (n > 0)
        {
            ReleaseReceived(head + n);
        }
        return n;
    }

    /// <summary>Reader: frees the received bytes before <paramref name="position"/>, and asks for a window update when that made enough room.</summary>
    internal void ReleaseReceived(long position)
    {
        _connection.Receive.ReleaseTo(position);
        // The worker decides on a window update (tcp_send); ask it once one could be due.
        if (_connection.WindowUpdateDue)
        {
            _host.Tcp.Request(_connection);
        }
    }

    internal void ThrowIfFailed()
    {
        int error = Volatile.Read(ref _connection.Error);
        if (error != 0)
        {
            throw new IOException($"the connection failed: {(SocketError)error}", new SocketException(error));
        }
    }
}
