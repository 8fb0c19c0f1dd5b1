using System.Net;
using System.Net.Sockets;
using Flow.Net.Internal;
using Flow.Net.Tcp;
using Flow.Net.Udp;

namespace Flow.Net;

/// <summary>
/// A socket on Flow's stack with the members of <see cref="Socket"/> that socket code uses:
/// <see cref="Bind"/>, <see cref="Listen"/>, <see cref="AcceptAsync"/>, <see cref="ConnectAsync(EndPoint, CancellationToken)"/>,
/// <c>SendAsync</c>, <c>ReceiveAsync</c>, <c>SendToAsync</c>, <c>ReceiveFromAsync</c>,
/// <see cref="Shutdown"/>, <see cref="Close()"/> and the socket options the stack has.
/// A stream socket is a <see cref="FlowTcpListener"/> once it listens and a
/// <see cref="FlowTcpStream"/> once it connects or is accepted; a datagram socket is a
/// <see cref="FlowUdpSocket"/>. This type keeps <see cref="Socket"/>'s state rules and error codes
/// on top of them.
/// </summary>
/// <remarks>
/// Errors are <see cref="SocketException"/>s with the codes Linux gives (a connection's reset or
/// timeout too, not the <see cref="IOException"/> its stream throws); calls in the wrong state
/// throw what <see cref="Socket"/> throws: <see cref="InvalidOperationException"/> to accept
/// without listening or to connect a listening socket, <see cref="SocketError.IsConnected"/> to
/// connect twice, <see cref="SocketError.NotConnected"/> to receive or shut down unconnected and
/// <see cref="SocketError.Shutdown"/> to send unconnected (Linux's EPIPE).
/// IPv4 only (<see cref="SocketError.AddressFamilyNotSupported"/> otherwise).
/// </remarks>
public sealed partial class FlowSocket : IDisposable
{
    private const int DefaultBufferSize = 256 * 1024;

    private readonly SocketHost _host;
    private readonly FlowUdpSocket? _udp;
    private FlowTcpListener? _listener;
    private FlowTcpStream? _stream;
    private IPEndPoint? _bound;
    private ushort _heldPort; // the TCP port this socket's Bind (or Listen) took, given back at Close
    private int _shutdownSend;
    private int _shutdownReceive;
    private int _closed;

    /// <summary>
    /// A socket of <paramref name="socketType"/> on <paramref name="stack"/>: <see cref="SocketType.Stream"/>
    /// with <see cref="ProtocolType.Tcp"/>, or <see cref="SocketType.Dgram"/> with
    /// <see cref="ProtocolType.Udp"/> (<see cref="ProtocolType.Unspecified"/> picks that one).
    /// Other kinds fail as on Linux: <see cref="SocketError.ProtocolNotSupported"/> for a protocol
    /// that does not go with the type, <see cref="SocketError.SocketNotSupported"/> for another type.
    /// </summary>
    public FlowSocket(FlowStack stack, SocketType socketType, ProtocolType protocolType)
    {
        ArgumentNullException.ThrowIfNull(stack);
        _host = stack.Host;
        (SocketType, ProtocolType) = (socketType, protocolType) switch
        {
            (SocketType.Stream, ProtocolType.Tcp or ProtocolType.Unspecified) => (SocketType.Stream, ProtocolType.Tcp),
            (SocketType.Dgram, ProtocolType.Udp or ProtocolType.Unspecified) => (SocketType.Dgram, ProtocolType.Udp),
            (SocketType.Stream or SocketType.Dgram, _) => throw new SocketException((int)SocketError.ProtocolNotSupported),
            _ => throw new SocketException((int)SocketError.SocketNotSupported),
        };
        if (SocketType == SocketType.Dgram)
        {
            _udp = new FlowUdpSocket(_host, FlowUdpSocket.DefaultQueueLength);
        }
    }

    /// <summary>A connected stream socket around an accepted connection, with the listening socket's options.</summary>
    internal FlowSocket(SocketHost host, FlowTcpStream accepted, FlowSocket? listening)
    {
        _host = host;
        SocketType = SocketType.Stream;
        ProtocolType = ProtocolType.Tcp;
        _stream = accepted;
        if (listening is not null)
        {
            // Linux: an accepted socket inherits the listener's options.
            _noDelay = listening._noDelay;
            _keepAlive = listening._keepAlive;
            _keepAliveTime = listening._keepAliveTime;
            _keepAliveInterval = listening._keepAliveInterval;
            _keepAliveRetryCount = listening._keepAliveRetryCount;
            _linger = listening._linger;
        }
        ApplyStreamOptions();
    }

    public AddressFamily AddressFamily => AddressFamily.InterNetwork;

    public SocketType SocketType { get; }

    public ProtocolType ProtocolType { get; }

    /// <summary>The TCP stream of a connected stream socket (one stream per connection: <see cref="FlowTcpClient.GetStream"/> gives this one).</summary>
    public FlowTcpStream? Stream => _stream;

    /// <summary>The UDP socket a datagram socket is.</summary>
    public FlowUdpSocket? UdpSocket => _udp;

    public bool IsBound => LocalEndPoint is not null;

    internal bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>A stream socket with a connection that has not failed (reset, timed out) and is not closed, or a datagram socket with a peer.</summary>
    public bool Connected => _udp is not null
        ? _udp.Connected
        : _stream is not null && Volatile.Read(ref _closed) == 0 && Volatile.Read(ref _stream.Connection.Error) == 0;

    public EndPoint? LocalEndPoint => _udp is not null ? _udp.LocalEndPoint : _stream?.LocalEndPoint ?? _listener?.LocalEndPoint ?? _bound;

    public EndPoint? RemoteEndPoint => _udp is not null ? _udp.RemoteEndPoint : _stream?.RemoteEndPoint;

    /// <summary>
    /// Binds to <paramref name="localEP"/>: <see cref="IPAddress.Any"/> or one of the stack's
    /// addresses, and a port (0: a free one of the ephemeral range, as Linux picks at bind). A
    /// stream socket holds its port from here until it closes, as on Linux:
    /// <see cref="SocketError.AddressAlreadyInUse"/> when a socket, a listener or a connection
    /// (TIME-WAIT included) has it.
    /// </summary>
    public void Bind(EndPoint localEP)
    {
        ThrowIfClosed();
        if (_udp is not null)
        {
            _udp.Bind(localEP);
            return;
        }
        IPEndPoint local = FlowEndPoints.AsIPv4(localEP);
        uint address = FlowEndPoints.HostOrder(local.Address);
        if (address != 0 && !_host.Interfaces.IsOwnAddress(address))
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
        if (LocalEndPoint is not null)
        {
            throw new SocketException((int)SocketError.InvalidArgument);
        }
        ushort port = local.Port != 0 ? (ushort)local.Port : _host.Tcp.TakeEphemeralPort();
        if (port == 0 || (local.Port != 0 && !_host.Tcp.TryReserve(port)))
        {
            throw new SocketException((int)SocketError.AddressAlreadyInUse);
        }
        _heldPort = port;
        _bound = new IPEndPoint(local.Address, port);
    }

    /// <summary>
    /// Starts listening with <paramref name="backlog"/> (the half-open and the unaccepted
    /// connections, each); an unbound socket or one bound to port 0 gets an ephemeral port, as on Linux.
    /// </summary>
    public void Listen(int backlog = 128)
    {
        ThrowIfClosed();
        if (_udp is not null)
        {
            throw new SocketException((int)SocketError.OperationNotSupported);
        }
        if (_stream is not null)
        {
            throw new SocketException((int)SocketError.InvalidArgument);
        }
        if (_listener is not null)
        {
            return;
        }
        if (_bound is null)
        {
            // Linux's listen on an unbound socket binds it to a free ephemeral port first.
            Bind(new IPEndPoint(IPAddress.Any, 0));
        }
        var listener = new FlowTcpListener(_host, _bound!, _sendBufferSize, _receiveBufferSize) { PortHeld = true };
        listener.Start(backlog);
        _listener = listener;
    }

    /// <summary>The next connection of a listening socket (<see cref="InvalidOperationException"/> when it does not listen).</summary>
    public async ValueTask<FlowSocket> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        FlowTcpListener listener = _listener ?? throw new InvalidOperationException("You must call the Listen method before performing this operation.");
        FlowTcpStream stream;
        try
        {
            stream = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _closed) != 0)
        {
            // Linux: accept on a socket closed meanwhile fails with EBADF; .NET reports it as OperationAborted.
            throw new SocketException((int)SocketError.OperationAborted);
        }
        return new FlowSocket(_host, stream, this);
    }

    /// <summary>
    /// Connects: a stream socket opens a connection (fails with <see cref="SocketError.ConnectionRefused"/>,
    /// <see cref="SocketError.TimedOut"/> or <see cref="SocketError.NetworkUnreachable"/>); a
    /// datagram socket sets its peer.
    /// </summary>
    public async ValueTask ConnectAsync(EndPoint remoteEP, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_udp is not null)
        {
            _udp.Connect(remoteEP);
            return;
        }
        IPEndPoint remote = FlowEndPoints.AsIPv4(remoteEP);
        if (_listener is not null)
        {
            throw new InvalidOperationException("You may not perform this operation after calling the Listen method.");
        }
        if (_stream is not null)
        {
            throw new SocketException((int)SocketError.IsConnected);
        }
        _stream = await FlowTcpStream.ConnectAsync(_host, remote, _sendBufferSize, _receiveBufferSize, cancellationToken, _bound).ConfigureAwait(false);
        ApplyStreamOptions();
    }

    public ValueTask ConnectAsync(IPAddress address, int port, CancellationToken cancellationToken = default) =>
        ConnectAsync(new IPEndPoint(address, port), cancellationToken);

    /// <summary>
    /// <see cref="SocketShutdown.Send"/> sends a FIN after the data (the peer's reads end, this
    /// socket still receives); <see cref="SocketShutdown.Receive"/> makes this socket's receives
    /// return 0, as on Linux (the peer is not told). Unconnected: <see cref="SocketError.NotConnected"/>.
    /// </summary>
    public void Shutdown(SocketShutdown how)
    {
        ThrowIfClosed();
        if (!Connected)
        {
            throw new SocketException((int)SocketError.NotConnected);
        }
        if (how is SocketShutdown.Send or SocketShutdown.Both)
        {
            Volatile.Write(ref _shutdownSend, 1);
            _stream?.Shutdown();
        }
        if (how is SocketShutdown.Receive or SocketShutdown.Both)
        {
            Volatile.Write(ref _shutdownReceive, 1);
        }
    }

    /// <summary>
    /// Closes: a connection ends gracefully (a FIN after the data), or with a reset when
    /// <see cref="LingerState"/> is enabled with a time of 0; a listener stops (its unaccepted
    /// connections are reset); a datagram socket frees its port.
    /// </summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _listener?.Stop();
        _udp?.Close();
        if (_heldPort != 0)
        {
            _host.Tcp.Release(_heldPort);
        }
        if (_stream is not null)
        {
            if (_linger is { Enabled: true, LingerTime: 0 })
            {
                _stream.Abort();
            }
            else
            {
                _stream.Dispose();
            }
        }
    }

    /// <summary>
    /// Closes after <paramref name="timeout"/> seconds of lingering: 0 resets the connection at
    /// once (what <see cref="Socket.Close(int)"/> with 0 does); more closes gracefully (the stack
    /// keeps sending what is queued after the socket is gone, it does not wait).
    /// </summary>
    public void Close(int timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, -1);
        if (timeout == 0)
        {
            _linger = new LingerOption(true, 0);
        }
        Close();
    }

    public void Dispose() => Close();

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);

    /// <summary>A stream socket's connection, or <see cref="SocketError.NotConnected"/>.</summary>
    private FlowTcpStream ConnectedStream() => _stream ?? throw new SocketException((int)SocketError.NotConnected);
}
