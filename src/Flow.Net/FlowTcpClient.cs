using System.Net;
using System.Net.Sockets;
using Flow.Net.Tcp;

namespace Flow.Net;

/// <summary>
/// A TCP client on Flow's stack, as <see cref="TcpClient"/> is on the kernel's:
/// <see cref="ConnectAsync(IPEndPoint, CancellationToken)"/>, <see cref="GetStream"/>,
/// <see cref="Client"/>, <see cref="NoDelay"/>, <see cref="Close"/>. Addresses only: the stack
/// has no resolver of its own.
/// </summary>
public sealed class FlowTcpClient : IDisposable
{
    /// <summary>An unconnected client on <paramref name="stack"/>.</summary>
    public FlowTcpClient(FlowStack stack)
    {
        Client = new FlowSocket(stack, SocketType.Stream, ProtocolType.Tcp);
    }

    /// <summary>A client around a connected socket (<see cref="FlowTcpListener.AcceptTcpClientAsync"/>).</summary>
    internal FlowTcpClient(FlowSocket connected)
    {
        Client = connected;
    }

    /// <summary>The socket underneath.</summary>
    public FlowSocket Client { get; }

    public bool Connected => Client.Connected;

    public bool NoDelay
    {
        get => Client.NoDelay;
        set => Client.NoDelay = value;
    }

    public int SendBufferSize
    {
        get => Client.SendBufferSize;
        set => Client.SendBufferSize = value;
    }

    public int ReceiveBufferSize
    {
        get => Client.ReceiveBufferSize;
        set => Client.ReceiveBufferSize = value;
    }

    public LingerOption LingerState
    {
        get => Client.LingerState;
        set => Client.LingerState = value;
    }

    public ValueTask ConnectAsync(IPEndPoint remoteEP, CancellationToken cancellationToken = default) => Client.ConnectAsync(remoteEP, cancellationToken);

    public ValueTask ConnectAsync(IPAddress address, int port, CancellationToken cancellationToken = default) => Client.ConnectAsync(address, port, cancellationToken);

    /// <summary>
    /// The connection as a stream (always the same one); <see cref="InvalidOperationException"/>
    /// before it connects, as <see cref="TcpClient.GetStream"/>. Disposing the stream closes
    /// the connection gracefully, as disposing the client does.
    /// </summary>
    public FlowTcpStream GetStream()
    {
        ObjectDisposedException.ThrowIf(Client.IsClosed, this);
        return Client.Connected ? Client.Stream! : throw new InvalidOperationException("The operation is not allowed on non-connected sockets.");
    }

    /// <summary>Closes the connection (see <see cref="FlowSocket.Close()"/>).</summary>
    public void Close() => Client.Close();

    public void Dispose() => Close();
}
