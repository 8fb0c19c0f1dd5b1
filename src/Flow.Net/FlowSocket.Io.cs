using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Flow.Net.Internal;
using Flow.Net.Tcp;

namespace Flow.Net;

public sealed partial class FlowSocket
{
    /// <summary>
    /// Sends <paramref name="buffer"/>: a stream socket returns once its send buffer took all of it,
    /// a datagram socket sends one datagram to its peer. Returns the bytes sent.
    /// </summary>
    public async ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ThrowIfFlags(socketFlags);
        if (Volatile.Read(ref _shutdownSend) != 0)
        {
            throw new SocketException((int)SocketError.Shutdown);
        }
        if (_udp is not null)
        {
            return await _udp.SendAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        // Linux's send on an unconnected TCP socket is EPIPE, which .NET reports as Shutdown.
        FlowTcpStream stream = _stream ?? throw new SocketException((int)SocketError.Shutdown);
        try
        {
            await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is SocketException inner)
        {
            ExceptionDispatchInfo.Throw(inner);
        }
        return buffer.Length;
    }

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        SendAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>
    /// Receives into <paramref name="buffer"/>: a stream socket what arrived in order (0 once the
    /// peer finished, or after <see cref="Shutdown"/> of receiving), a datagram socket one datagram.
    /// </summary>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketFlags socketFlags, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ThrowIfFlags(socketFlags);
        if (Volatile.Read(ref _shutdownReceive) != 0)
        {
            return 0;
        }
        if (_udp is not null)
        {
            return await _udp.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        FlowTcpStream stream = ConnectedStream();
        try
        {
            return await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e.InnerException is SocketException inner)
        {
            ExceptionDispatchInfo.Throw(inner);
            throw;
        }
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>
    /// A datagram socket sends one datagram to <paramref name="remoteEP"/> (binding an ephemeral
    /// port first when unbound); a stream socket ignores the address and sends on its connection,
    /// as Linux does.
    /// </summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags, EndPoint remoteEP, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ThrowIfFlags(socketFlags);
        FlowEndPoints.AsIPv4(remoteEP);
        if (_udp is null)
        {
            return SendAsync(buffer, socketFlags, cancellationToken);
        }
        if (Volatile.Read(ref _shutdownSend) != 0)
        {
            throw new SocketException((int)SocketError.Shutdown);
        }
        return _udp.SendToAsync(buffer, remoteEP, cancellationToken);
    }

    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> buffer, EndPoint remoteEP, CancellationToken cancellationToken = default) =>
        SendToAsync(buffer, SocketFlags.None, remoteEP, cancellationToken);

    /// <summary>
    /// A datagram socket receives one datagram, with its sender; a stream socket receives from its
    /// connection, the sender being its peer. <paramref name="remoteEP"/> is there for
    /// <see cref="Socket"/>'s signature: it only has to be an IPv4 endpoint.
    /// </summary>
    public async ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, SocketFlags socketFlags, EndPoint remoteEP, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ThrowIfFlags(socketFlags);
        FlowEndPoints.AsIPv4(remoteEP);
        if (_udp is null || Volatile.Read(ref _shutdownReceive) != 0)
        {
            int received = await ReceiveAsync(buffer, socketFlags, cancellationToken).ConfigureAwait(false);
            return new SocketReceiveFromResult { ReceivedBytes = received, RemoteEndPoint = RemoteEndPoint ?? remoteEP };
        }
        return await _udp.ReceiveFromAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, EndPoint remoteEP, CancellationToken cancellationToken = default) =>
        ReceiveFromAsync(buffer, SocketFlags.None, remoteEP, cancellationToken);

    /// <summary>No flag (out-of-band data, peeking, routing bypass) is implemented: each is refused rather than ignored.</summary>
    private static void ThrowIfFlags(SocketFlags flags)
    {
        if (flags != SocketFlags.None)
        {
            throw new SocketException((int)SocketError.OperationNotSupported);
        }
    }
}
