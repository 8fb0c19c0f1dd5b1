using System.Net.Sockets;

namespace Flow.Net.Udp;

/// <summary>
/// The stack's UDP ports: which socket owns each, for the worker that delivers datagrams
/// (<c>udp_receive</c>), the one that sends them (<c>udp_send</c>) and the sockets that bind.
/// </summary>
/// <remarks>
/// Application threads bind and close under a lock; the worker reads without one: a port's entry
/// and the list of sockets are published with a volatile write after the socket is complete, so
/// a reader sees a whole socket or none. A closed socket leaves the table before it frees its
/// queues, and only after the workers passed a batch boundary (<see cref="FlowStack"/>).
/// One socket per port, whatever address it is bound to (no SO_REUSEADDR yet).
/// </remarks>
public sealed class UdpPortTable
{
    /// <summary>Ports given to sockets that send or connect before they bind (IANA's dynamic range, RFC 6335 6).</summary>
    public const int FirstEphemeralPort = 49152;

    public const int LastEphemeralPort = 65535;

    private readonly FlowUdpSocket?[] _ports = new FlowUdpSocket?[65536];

    /// <summary>What the sockets' receive rings hold of the receive ports' frames.</summary>
    public UdpReceiveMemory ReceiveMemory { get; } = new();
    private readonly Lock _lock = new();
    private FlowUdpSocket[] _sockets = [];

    /// <summary>The socket bound to <paramref name="port"/>, or null.</summary>
    public FlowUdpSocket? Find(ushort port) => Volatile.Read(ref _ports[port]);

    /// <summary>Every bound socket (a snapshot: a new array after each bind and close).</summary>
    public FlowUdpSocket[] Sockets => Volatile.Read(ref _sockets);

    /// <summary>
    /// Gives <paramref name="socket"/> <paramref name="address"/> (host order, 0: any) and
    /// <paramref name="port"/>, or a free ephemeral port when it is 0, and returns the port. Refuses a taken port (<see cref="SocketError.AddressAlreadyInUse"/>) and
    /// a full ephemeral range (<see cref="SocketError.AddressNotAvailable"/>), as Linux's bind does.
    /// </summary>
    internal ushort Bind(FlowUdpSocket socket, uint address, ushort port)
    {
        lock (_lock)
        {
            if (port == 0)
            {
                port = FreeEphemeralPort();
            }
            else if (_ports[port] is not null)
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
            socket.PublishLocal(address, port);
            Volatile.Write(ref _ports[port], socket);
            Volatile.Write(ref _sockets, [.. _sockets, socket]);
            return port;
        }
    }

    /// <summary>Takes <paramref name="socket"/> out of the table; the worker may still hold it until its next batch boundary.</summary>
    internal void Unbind(FlowUdpSocket socket, ushort port)
    {
        lock (_lock)
        {
            if (_ports[port] == socket)
            {
                Volatile.Write(ref _ports[port], null);
                Volatile.Write(ref _sockets, [.. _sockets.Where(s => s != socket)]);
            }
        }
    }

    private ushort FreeEphemeralPort()
    {
        const int count = LastEphemeralPort - FirstEphemeralPort + 1;
        // A random start, as Linux does, so a peer cannot guess the next port (RFC 6056).
        int start = Random.Shared.Next(count);
        for (int i = 0; i < count; i++)
        {
            int port = FirstEphemeralPort + (start + i) % count;
            if (_ports[port] is null)
            {
                return (ushort)port;
            }
        }
        throw new SocketException((int)SocketError.AddressNotAvailable);
    }
}
