using System.Net;
using System.Net.Sockets;
using Flow.Net.Internal;

namespace Flow.Net.Udp;

/// <summary>
/// A UDP socket on Flow's stack, with the methods of <see cref="Socket"/> that UDP code uses:
/// <see cref="Bind"/>, <see cref="Connect"/>, <c>SendToAsync</c>, <c>SendAsync</c>,
/// <c>ReceiveFromAsync</c>, <c>ReceiveAsync</c>, <see cref="EnableBroadcast"/>, <see cref="Close"/>.
/// <see cref="ReceiveDatagramAsync"/> gives the received frame itself, without a copy.
/// </summary>
/// <remarks>
/// A socket is two single-producer rings between the application and the stack's worker:
/// <c>udp_receive</c> puts datagrams for the socket's port in one, <c>udp_send</c> takes the
/// datagrams the application wrote from the other. Neither side locks against the other; senders
/// on several threads take a lock among themselves, and one receive may wait at a time. A full
/// receive ring drops (counted in <see cref="ReceiveQueueDrops"/>, like a full SO_RCVBUF); a
/// full send ring makes the sender wait for room.
/// Errors follow Linux: sending to a broadcast address needs <see cref="EnableBroadcast"/>
/// (<see cref="SocketError.AccessDenied"/>); a connected socket takes only its peer's datagrams,
/// and an ICMP destination unreachable about what it sent fails its next receive
/// (<see cref="SocketError.ConnectionRefused"/> for port unreachable).
/// </remarks>
public sealed partial class FlowUdpSocket : IDisposable, IAsyncDisposable
{
    public const int DefaultQueueLength = 256;

    private readonly SocketHost _stack;
    private readonly Lock _sendLock = new();
    private readonly SocketSignal _receiveSignal = new();
    private readonly SocketSignal _sendSignal = new();
    private readonly SemaphoreSlim _sendWaiters = new(1, 1);
    // Host-order address << 16 | port; 0: none. Written before the socket is published or under
    // the bind lock, read by the worker as one value so it never sees half an endpoint.
    private long _local;
    private long _peer;
    private int _pendingError;
    private int _receiving;
    private int _closed;
    private int _identification;
    private long _receiveQueueDrops;
    private long _busyPollTicks;

    internal FlowUdpSocket(SocketHost stack, int queueLength)
    {
        _stack = stack;
        Received = new SpscRing<Packet>(queueLength);
        Outgoing = new SpscRing<Packet>(queueLength);
        WorkerOutgoing = new SpscRing<Packet>(queueLength);
        _identification = Random.Shared.Next(ushort.MaxValue);
    }

    /// <summary>Datagrams <c>udp_receive</c> delivered, for the application to take.</summary>
    internal SpscRing<Packet> Received { get; }

    /// <summary>Datagrams the application wrote, for <c>udp_send</c> to take.</summary>
    internal SpscRing<Packet> Outgoing { get; }

    internal long LocalKey => Volatile.Read(ref _local);

    internal long PeerKey => Volatile.Read(ref _peer);

    /// <summary>Allows sending to the limited (255.255.255.255) and subnet broadcast addresses (SO_BROADCAST).</summary>
    public bool EnableBroadcast { get; set; }

    /// <summary>The bound address and port, or null before the socket binds (or sends, which binds it).</summary>
    public IPEndPoint? LocalEndPoint => ToEndPoint(LocalKey);

    /// <summary>The peer of a connected socket, or null.</summary>
    public IPEndPoint? RemoteEndPoint => ToEndPoint(PeerKey);

    public bool Connected => PeerKey != 0;

    /// <summary>
    /// How long a receive that finds nothing polls the receive ring before it parks (Linux's
    /// SO_BUSY_POLL): a thread that serves one socket trades a core's time for the wake-up it
    /// saves. Zero (the default): park at once.
    /// </summary>
    public TimeSpan ReceiveBusyPoll
    {
        get => TimeSpan.FromSeconds((double)_busyPollTicks / System.Diagnostics.Stopwatch.Frequency);
        set => _busyPollTicks = value <= TimeSpan.Zero ? 0 : (long)(value.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    }

    /// <summary>Datagrams for this socket dropped because its receive ring was full.</summary>
    public long ReceiveQueueDrops => Volatile.Read(ref _receiveQueueDrops);

    /// <summary>
    /// Binds to <paramref name="endPoint"/>: <see cref="IPAddress.Any"/> or one of the stack's
    /// addresses, and a port (0: a free ephemeral one).
    /// </summary>
    public void Bind(EndPoint endPoint)
    {
        ThrowIfClosed();
        IPEndPoint local = FlowEndPoints.AsIPv4(endPoint);
        uint address = FlowEndPoints.HostOrder(local.Address);
        if (address != 0 && !_stack.Interfaces.IsOwnAddress(address))
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
        if (LocalKey != 0)
        {
            throw new SocketException((int)SocketError.InvalidArgument);
        }
        _stack.Ports.Bind(this, address, (ushort)local.Port);
    }

    /// <summary>
    /// Sets the peer: sends without an address go to it, and only its datagrams are received.
    /// Binds an ephemeral port first when the socket is not bound.
    /// </summary>
    public void Connect(EndPoint remoteEndPoint)
    {
        ThrowIfClosed();
        IPEndPoint remote = FlowEndPoints.AsIPv4(remoteEndPoint);
        uint address = FlowEndPoints.HostOrder(remote.Address);
        if (address == 0 || remote.Port == 0)
        {
            throw new SocketException((int)SocketError.AddressNotAvailable);
        }
        if (IsBroadcast(address) && !EnableBroadcast)
        {
            throw new SocketException((int)SocketError.AccessDenied);
        }
        BindIfUnbound();
        Interlocked.Exchange(ref _pendingError, 0);
        Volatile.Write(ref _peer, Key(address, (ushort)remote.Port));
    }

    /// <summary>Closes the socket: its port is free, waiting calls fail, and what it had queued is freed.</summary>
    public void Close() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public void Dispose() => Close();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        var closed = new ObjectDisposedException(nameof(FlowUdpSocket));
        _receiveSignal.Fail(closed);
        _sendSignal.Fail(closed);
        long local = LocalKey;
        if (local != 0)
        {
            _stack.Ports.Unbind(this, (ushort)local);
            // After the workers' next batch boundary none of them holds this socket any more.
            await _stack.QuiesceAsync().ConfigureAwait(false);
        }
        lock (_sendLock)
        {
            FreeAll(Outgoing);
        }
        FreeAll(WorkerOutgoing);
        // A receive that was waiting ends with the failure above; take its place as the one consumer.
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _receiving, 1, 0) != 0)
        {
            spin.SpinOnce();
        }
        FreeAll(Received, _stack.Ports.ReceiveMemory);
    }

    /// <summary>The port table, under its lock: the socket's address and port, written before the table publishes the socket.</summary>
    internal void PublishLocal(uint address, ushort port) => Volatile.Write(ref _local, Key(address, port));

    /// <summary>Worker (<c>udp_receive</c>): counts a datagram its full receive ring could not take.</summary>
    internal void CountReceiveQueueDrop() => _receiveQueueDrops++;

    /// <summary>Worker (<c>udp_receive</c>): a datagram is in the receive ring.</summary>
    internal void SignalReceived() => _receiveSignal.Wake();

    /// <summary>Worker (<c>udp_send</c>): it took datagrams from the send ring.</summary>
    internal void SignalSent() => _sendSignal.Wake();

    /// <summary>Worker (<c>udp_errors</c>): an ICMP error about what this socket sent, reported by its next receive.</summary>
    internal void ReportError(SocketError error)
    {
        Volatile.Write(ref _pendingError, (int)error);
        _receiveSignal.Wake();
    }

    internal static long Key(uint address, ushort port) => (long)address << 16 | port;

    private static IPEndPoint? ToEndPoint(long key) =>
        key == 0 ? null : new IPEndPoint(FlowEndPoints.Address((uint)(key >> 16)), (ushort)key);

    private bool IsBroadcast(uint address) => address == uint.MaxValue || _stack.Interfaces.IsSubnetBroadcast(address);

    private void BindIfUnbound()
    {
        if (LocalKey == 0)
        {
            _stack.Ports.Bind(this, 0, 0);
        }
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);

    /// <summary>Frees what <paramref name="ring"/> holds; frames of the receive ring are counted out of <paramref name="receiveMemory"/>.</summary>
    private static void FreeAll(SpscRing<Packet> ring, UdpReceiveMemory? receiveMemory = null)
    {
        Span<Packet> packets = stackalloc Packet[32];
        int n;
        while ((n = ring.Dequeue(packets)) > 0)
        {
            if (receiveMemory is not null)
            {
                foreach (Packet packet in packets.Slice(0, n))
                {
                    receiveMemory.Left(packet);
                }
            }
            PacketPools.Free(packets.Slice(0, n));
        }
    }
}
