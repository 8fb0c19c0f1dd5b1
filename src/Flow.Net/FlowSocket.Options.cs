using System.Net.Sockets;

namespace Flow.Net;

public sealed partial class FlowSocket
{
    // Linux's defaults: net.ipv4.tcp_keepalive_time, _intvl, _probes.
    private int _keepAliveTime = 7200;
    private int _keepAliveInterval = 75;
    private int _keepAliveRetryCount = 9;
    private bool _keepAlive;
    private bool _noDelay;
    private bool _reuseAddress;
    private bool _broadcastOnStream;
    private LingerOption _linger = new(false, 0);
    private int _sendBufferSize = DefaultBufferSize;
    private int _receiveBufferSize = DefaultBufferSize;

    /// <summary>Nagle's algorithm off (TCP_NODELAY): small writes leave at once.</summary>
    public bool NoDelay
    {
        get => (bool)GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.NoDelay);
        set => SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.NoDelay, value);
    }

    /// <summary>
    /// A stream socket's send buffer in bytes; set it before connecting or listening (the
    /// connection's ring is made then): the stack rounds it up to a power of two of at least 64,
    /// as Linux doubles what it is given. Afterwards <see cref="SocketError.OperationNotSupported"/>.
    /// </summary>
    public int SendBufferSize
    {
        get => (int)GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.SendBuffer);
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.SendBuffer, value);
    }

    /// <summary>A stream socket's receive buffer, the largest window it advertises; as <see cref="SendBufferSize"/>.</summary>
    public int ReceiveBufferSize
    {
        get => (int)GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer);
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer, value);
    }

    /// <summary>Sending to broadcast addresses (SO_BROADCAST).</summary>
    public bool EnableBroadcast
    {
        get => (bool)GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Broadcast);
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Broadcast, value);
    }

    /// <summary>Lingering on close (SO_LINGER): enabled with 0 seconds, <see cref="Close()"/> resets the connection.</summary>
    public LingerOption LingerState
    {
        get => new(_linger.Enabled, _linger.LingerTime);
        set => SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Linger, value);
    }

    /// <summary>
    /// Sets an option the stack has: <see cref="SocketOptionName.NoDelay"/>,
    /// <see cref="SocketOptionName.KeepAlive"/> with <see cref="SocketOptionName.TcpKeepAliveTime"/>,
    /// <see cref="SocketOptionName.TcpKeepAliveInterval"/> (seconds) and
    /// <see cref="SocketOptionName.TcpKeepAliveRetryCount"/>, <see cref="SocketOptionName.Broadcast"/>,
    /// <see cref="SocketOptionName.SendBuffer"/>/<see cref="SocketOptionName.ReceiveBuffer"/> (stream
    /// sockets, before connect or listen), <see cref="SocketOptionName.ReuseAddress"/>. Any other
    /// fails with <see cref="SocketError.ProtocolOption"/> (Linux's ENOPROTOOPT), as does a TCP
    /// option on a datagram socket.
    /// </summary>
    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, int optionValue)
    {
        ThrowIfClosed();
        if (optionLevel == SocketOptionLevel.Tcp)
        {
            RequireStream();
        }
        switch (optionLevel, optionName)
        {
            case (SocketOptionLevel.Tcp, SocketOptionName.NoDelay):
                _noDelay = optionValue != 0;
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.KeepAlive):
                _keepAlive = optionValue != 0;
                break;
            case (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime):
                _keepAliveTime = KeepAliveValue(optionValue, 32767);
                break;
            case (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval):
                _keepAliveInterval = KeepAliveValue(optionValue, 32767);
                break;
            case (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount):
                _keepAliveRetryCount = KeepAliveValue(optionValue, 127);
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.Broadcast):
                if (_udp is not null)
                {
                    _udp.EnableBroadcast = optionValue != 0;
                }
                else
                {
                    // Linux takes SO_BROADCAST on a TCP socket and ignores it.
                    _broadcastOnStream = optionValue != 0;
                }
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.SendBuffer):
                _sendBufferSize = BufferSize(optionValue);
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer):
                _receiveBufferSize = BufferSize(optionValue);
                break;
            case (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress):
                // A TCP listener never finds its port held by connections in TIME-WAIT (the stack
                // keeps listeners apart from connections), so reuse is how it behaves anyway. Several
                // UDP sockets on one port are not there yet.
                if (_udp is not null && optionValue != 0)
                {
                    throw new SocketException((int)SocketError.OperationNotSupported);
                }
                _reuseAddress = optionValue != 0;
                break;
            default:
                throw new SocketException((int)SocketError.ProtocolOption);
        }
        ApplyStreamOptions();
    }

    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, bool optionValue) =>
        SetSocketOption(optionLevel, optionName, optionValue ? 1 : 0);

    /// <summary>Sets <see cref="SocketOptionName.Linger"/> from a <see cref="LingerOption"/>; other options as the <see cref="int"/> overload.</summary>
    public void SetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName, object optionValue)
    {
        ArgumentNullException.ThrowIfNull(optionValue);
        ThrowIfClosed();
        switch (optionValue)
        {
            case LingerOption linger when optionLevel == SocketOptionLevel.Socket && optionName == SocketOptionName.Linger:
                ArgumentOutOfRangeException.ThrowIfNegative(linger.LingerTime);
                _linger = new LingerOption(linger.Enabled, linger.LingerTime);
                break;
            case int value:
                SetSocketOption(optionLevel, optionName, value);
                break;
            case bool value:
                SetSocketOption(optionLevel, optionName, value);
                break;
            default:
                throw new ArgumentException("an int, a bool, or a LingerOption for Linger", nameof(optionValue));
        }
    }

    /// <summary>The value of an option <see cref="SetSocketOption(SocketOptionLevel, SocketOptionName, int)"/> takes: a <see cref="bool"/>, an <see cref="int"/>, or the <see cref="LingerOption"/>.</summary>
    public object GetSocketOption(SocketOptionLevel optionLevel, SocketOptionName optionName)
    {
        ThrowIfClosed();
        return (optionLevel, optionName) switch
        {
            (SocketOptionLevel.Tcp, SocketOptionName.NoDelay) => RequireStream() && _noDelay,
            (SocketOptionLevel.Socket, SocketOptionName.KeepAlive) => _keepAlive,
            (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime) => RequireStream() ? _keepAliveTime : 0,
            (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval) => RequireStream() ? _keepAliveInterval : 0,
            (SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount) => RequireStream() ? _keepAliveRetryCount : 0,
            (SocketOptionLevel.Socket, SocketOptionName.Broadcast) => _udp?.EnableBroadcast ?? _broadcastOnStream,
            (SocketOptionLevel.Socket, SocketOptionName.SendBuffer) => RequireSizedStream() ? _stream?.Connection.Send.Capacity ?? _sendBufferSize : 0,
            (SocketOptionLevel.Socket, SocketOptionName.ReceiveBuffer) => RequireSizedStream() ? _stream?.Connection.Receive.Capacity ?? _receiveBufferSize : 0,
            (SocketOptionLevel.Socket, SocketOptionName.ReuseAddress) => _reuseAddress,
            (SocketOptionLevel.Socket, SocketOptionName.Linger) => LingerState,
            _ => throw new SocketException((int)SocketError.ProtocolOption),
        };
    }

    /// <summary>Puts the options into the connection once there is one (connect, accept) and whenever one changes.</summary>
    private void ApplyStreamOptions()
    {
        if (_stream is null)
        {
            return;
        }
        _stream.NoDelay = _noDelay;
        if (_keepAlive)
        {
            _stream.EnableKeepAlive(TimeSpan.FromSeconds(_keepAliveTime), TimeSpan.FromSeconds(_keepAliveInterval), _keepAliveRetryCount);
        }
        else
        {
            _stream.DisableKeepAlive();
        }
    }

    /// <summary>TCP options on a datagram socket: Linux's ENOPROTOOPT.</summary>
    private bool RequireStream() => _udp is null ? true : throw new SocketException((int)SocketError.ProtocolOption);

    /// <summary>Buffer sizes in bytes are a stream socket's: a datagram socket's queues count datagrams (<see cref="SocketError.OperationNotSupported"/>).</summary>
    private bool RequireSizedStream() => _udp is null ? true : throw new SocketException((int)SocketError.OperationNotSupported);

    /// <summary>Linux's bounds for TCP_KEEPIDLE and TCP_KEEPINTVL (1–32767) and TCP_KEEPCNT (1–127): EINVAL outside.</summary>
    private static int KeepAliveValue(int value, int max) =>
        value is >= 1 && value <= max ? value : throw new SocketException((int)SocketError.InvalidArgument);

    /// <summary>A ring size for a stream socket not connected or listening yet.</summary>
    private int BufferSize(int requested)
    {
        RequireSizedStream();
        if (_stream is not null || _listener is not null)
        {
            throw new SocketException((int)SocketError.OperationNotSupported);
        }
        if (requested <= 0)
        {
            throw new SocketException((int)SocketError.InvalidArgument);
        }
        return (int)Math.Max(64, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Min(requested, 1 << 30)));
    }
}
