using System.Runtime.InteropServices;
using Flow.Backends.Memif.Protocol;
using Microsoft.Extensions.Logging;

namespace Flow.Backends.Memif.Internal;

/// <summary>
/// A listening memif socket shared by every server-role interface on it (one socket, many
/// interfaces by id, many clients). One control thread runs every connection's handshake as a
/// small state machine; hostile input ends that connection with a DISCONNECT naming the
/// reason and never affects the others.
/// </summary>
/// <remarks>
/// Admission, in order (security review H2): the peer's SO_PEERCRED must be allowed by at least
/// one interface on the socket (checked at accept, before a handshake slot is used); at most
/// <see cref="MemifOptions.MaxPendingHandshakes"/> handshakes may be pending, half of them
/// per uid; each must reach CONNECT within <see cref="MemifOptions.HandshakeTimeout"/>; INIT
/// must name an interface whose own allow-list admits the peer, then carry its secret.
/// </remarks>
internal sealed unsafe partial class MemifListener : IDisposable
{
    /// <summary>Highest region index a client may add (16 regions).</summary>
    private const int MaxRegionIndex = 15;

    /// <summary>Largest region accepted (bounds our address-space use per peer).</summary>
    private const ulong MaxRegionSize = 1UL << 36;

    /// <summary>
    /// One listener per socket. The interfaces on it have nothing to agree on (the unit
    /// settings): it takes its handshake limits from its first interface, as
    /// <see cref="MemifOptions.HandshakeTimeout"/> says, and each interface keeps its own id,
    /// secret and allow-list.
    /// </summary>
    private static readonly DeviceRegistry<ListenAddress, ValueTuple, MemifListener> s_listeners = new("memif listening socket");

    /// <summary>Connections polled at once (pending and up); more are refused at accept.</summary>
    private const int MaxConnections = 64;

    private readonly string _socket;
    private readonly bool _abstract;
    private readonly ILogger _logger;
    private readonly long _handshakeMilliseconds;
    private readonly int _maxPending;
    private readonly int _maxPendingPerUid;
    private readonly List<MemifInterface> _interfaces = new();
    private readonly List<Connection> _connections = new();
    private readonly Thread _thread;
    private readonly SafeFileDescriptor _listenSocket;
    private readonly SafeFileDescriptor _stop;
    private volatile bool _stopping;

    private MemifListener(MemifOptions options, ILogger logger)
    {
        string socket = options.Socket;
        bool isAbstract = options.Abstract;
        _socket = socket;
        _abstract = isAbstract;
        _logger = logger;
        _handshakeMilliseconds = Math.Max(1, (long)options.HandshakeTimeout.TotalMilliseconds);
        _maxPending = Math.Max(1, options.MaxPendingHandshakes);
        _maxPendingPerUid = Math.Max(1, _maxPending / 2);
        _listenSocket = new SafeFileDescriptor(Interop.Sys.Socket(Interop.Sys.AF_UNIX, Interop.Sys.SOCK_SEQPACKET | Interop.Sys.SOCK_CLOEXEC, 0));
        if (_listenSocket.IsInvalid)
        {
            throw new IOException($"memif socket failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            Listen(socket, isAbstract);
            _stop = MemifInterface.NewEventFd();
        }
        catch
        {
            _listenSocket.Dispose();
            throw;
        }
        _thread = new Thread(Run) { IsBackground = true, Name = $"memif-server {socket}" };
        _thread.Start();
    }

    private void Listen(string socket, bool isAbstract)
    {
        Interop.Sys.SockAddrUn address;
        int length = Interop.Sys.MakeAddress(socket, isAbstract, &address);
        if (length < 0)
        {
            throw new ArgumentException($"memif socket name '{socket}' is longer than {Interop.Sys.SunPathSize - 2} bytes");
        }
        if (!isAbstract)
        {
            PrepareSocketPath(socket);
        }
        // The socket file gets 0660 before listen, so no client can connect in between with
        // wider rights (ControlEndpoint does the same); the directory's mode gates it first.
        if (Interop.Sys.Bind(_listenSocket.Fd, &address, (uint)length) != 0 ||
            (!isAbstract && Interop.Sys.Chmod(socket, 0x1B0 /* 0660 */) != 0) ||
            Interop.Sys.Listen(_listenSocket.Fd, 16) != 0)
        {
            throw new IOException($"memif socket '{(isAbstract ? "@" : "")}{socket}': bind/listen failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// Makes <paramref name="path"/> bindable: creates a missing directory 0750 (owned by Flow's
    /// user, root when run as root) and removes a stale socket file left by a crash (DPDK's guide
    /// says remove it). A live socket (another server answers) or a file that is not a socket is
    /// never removed: running as root, an unconditional unlink would delete whatever the path names.
    /// </summary>
    private static void PrepareSocketPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("memif needs Linux (memfd, SCM_RIGHTS)");
        }
        string? directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }
        int type = Interop.Sys.PathType(path);
        if (type == -1)
        {
            return;
        }
        if (type != Interop.Sys.S_IFSOCK)
        {
            throw new IOException($"memif socket '{path}' exists and is not a socket; not replacing it");
        }
        MemifControlChannel? probe = MemifControlChannel.Connect(path, isAbstract: false, out int errno);
        if (probe is not null || errno != Interop.Errno.ECONNREFUSED)
        {
            probe?.Dispose();
            throw new IOException($"memif socket '{path}' is in use by another server (connect: errno {errno})");
        }
        Interop.Sys.Unlink(path);
    }

    public static MemifListener Acquire(MemifOptions options, ILogger logger) =>
        s_listeners.Acquire(new ListenAddress(options.Socket, options.Abstract), default, (_, _) => new MemifListener(options, logger));

    /// <summary>Drops one interface's reference; the last one stops the thread, closes the socket and removes its file.</summary>
    public void Release() => s_listeners.Release(new ListenAddress(_socket, _abstract), this);

    /// <summary>Called by the registry when the last interface released the listener.</summary>
    void IDisposable.Dispose()
    {
        _stopping = true;
        Interop.Sys.SignalEventFd(_stop.Fd);
        _thread.Join();
        _listenSocket.Dispose();
        _stop.Dispose();
        if (!_abstract)
        {
            Interop.Sys.Unlink(_socket);
        }
    }

    public void Register(MemifInterface memif)
    {
        lock (_interfaces)
        {
            foreach (MemifInterface other in _interfaces)
            {
                if (other.Options.InterfaceId == memif.Options.InterfaceId)
                {
                    throw new InvalidOperationException(
                        $"memif socket '{_socket}' already has a server interface with id {memif.Options.InterfaceId}");
                }
            }
            _interfaces.Add(memif);
        }
    }

    /// <summary>Removes an interface; its live connection is ended by the listener thread first.</summary>
    public void Unregister(MemifInterface memif)
    {
        lock (_interfaces)
        {
            _interfaces.Remove(memif);
        }
        // The listener thread notices the interface is gone on its next pass (≤ 100 ms) and
        // closes its connection; wait for that so regions are unmapped before we return.
        Interop.Sys.SignalEventFd(_stop.Fd);
        SpinWait spin = default;
        long deadline = Environment.TickCount64 + 5000;
        while (Volatile.Read(ref memif.IsClaimed) && Environment.TickCount64 < deadline && !_stopping)
        {
            spin.SpinOnce();
            Thread.Sleep(1);
        }
    }

    private void Run()
    {
        try
        {
            Loop();
        }
        catch (Exception exception)
        {
            MemifLog.ControlLoopFailed(_logger, _socket, exception);
        }
        finally
        {
            foreach (Connection connection in _connections.ToArray())
            {
                Close(connection, "server closing", protocolError: false, tellPeer: true);
            }
        }
    }

    private void Loop()
    {
        var fds = new Interop.Sys.PollFd[2 + MaxConnections];
        while (!_stopping)
        {
            int count = 0;
            fds[count++] = new Interop.Sys.PollFd { Fd = _stop.Fd, Events = Interop.Sys.POLLIN };
            fds[count++] = new Interop.Sys.PollFd { Fd = _listenSocket.Fd, Events = Interop.Sys.POLLIN };
            int watched = _connections.Count;
            for (int i = 0; i < watched; i++)
            {
                fds[count++] = new Interop.Sys.PollFd { Fd = _connections[i].Channel.Fd, Events = Interop.Sys.POLLIN };
            }
            fixed (Interop.Sys.PollFd* p = fds)
            {
                Interop.Sys.Poll(p, (nuint)count, 100);
            }
            if (_stopping)
            {
                return;
            }
            Interop.Sys.ConsumeEventFd(_stop.Fd);
            for (int i = watched - 1; i >= 0; i--)
            {
                if ((fds[2 + i].Revents & (Interop.Sys.POLLIN | Interop.Sys.POLLHUP | Interop.Sys.POLLERR)) != 0)
                {
                    Guarded(_connections[i]);
                }
            }
            // After the connections: an accept adds one, which would shift the indices above.
            if ((fds[1].Revents & Interop.Sys.POLLIN) != 0)
            {
                Accept();
            }
            ExpireHandshakes();
            CheckLiveConnections();
        }
    }

    /// <summary>
    /// Handles one connection's message; an exception (a bug, or a user's Connected/Disconnected
    /// handler) ends that connection only and is logged, so the listener — which every server
    /// interface on this socket depends on — keeps running (security review L5).
    /// </summary>
    private void Guarded(Connection connection)
    {
        try
        {
            Handle(connection);
        }
        catch (Exception exception)
        {
            MemifLog.ControlLoopFailed(_logger, _socket, exception);
            if (_connections.Contains(connection))
            {
                Close(connection, "internal error", protocolError: false, tellPeer: true);
            }
        }
    }

    private void Accept()
    {
        int fd = Interop.Sys.Accept4(_listenSocket.Fd, null, null, Interop.Sys.SOCK_CLOEXEC);
        if (fd < 0)
        {
            return;
        }
        var channel = new MemifControlChannel(fd);
        if (!MemifPeerCheck.TryRead(fd, out Interop.Sys.UCred peer))
        {
            Refuse(channel, "peer credentials unavailable");
            return;
        }
        string? refusal = Admission(peer);
        if (refusal is not null)
        {
            Refuse(channel, refusal);
            return;
        }
        var connection = new Connection { Channel = channel, Peer = peer, Deadline = Environment.TickCount64 + _handshakeMilliseconds };
        int maxQueues;
        int maxLog2;
        lock (_interfaces)
        {
            maxQueues = 1;
            maxLog2 = 1;
            foreach (MemifInterface memif in _interfaces)
            {
                maxQueues = Math.Max(maxQueues, memif.Options.QueuePairs);
                maxLog2 = Math.Max(maxLog2, memif.MaxLog2RingSize);
            }
        }
        MemifMessage hello = default; // zeroed: unused bytes go to the peer
        hello.Type = MemifMessageType.Hello;
        hello.Hello.MinVersion = MemifConstants.Version;
        hello.Hello.MaxVersion = MemifConstants.Version;
        hello.Hello.MaxRegion = MaxRegionIndex;
        hello.Hello.MaxS2MRing = (ushort)(maxQueues - 1);
        hello.Hello.MaxM2SRing = (ushort)(maxQueues - 1);
        hello.Hello.MaxLog2RingSize = (byte)maxLog2;
        MemifControlChannel.WriteString("flow", hello.Hello.Name, MemifConstants.NameSize);
        if (connection.Channel.Send(ref hello) != 0)
        {
            connection.Channel.Dispose();
            return;
        }
        _connections.Add(connection);
    }

    /// <summary>Null when a new connection from <paramref name="peer"/> may start a handshake, else why not.</summary>
    private string? Admission(in Interop.Sys.UCred peer)
    {
        bool allowed = false;
        lock (_interfaces)
        {
            foreach (MemifInterface memif in _interfaces)
            {
                allowed |= MemifPeerCheck.Allows(memif.Options, peer.Uid, peer.Gid);
            }
        }
        if (!allowed)
        {
            string reason = MemifPeerCheck.Refusal(peer);
            lock (_interfaces)
            {
                // No interface was named yet: each one on the socket counts the attempt.
                foreach (MemifInterface memif in _interfaces)
                {
                    memif.ServerRejectedPeer(reason);
                }
            }
            return reason;
        }
        if (_connections.Count >= MaxConnections)
        {
            return "too many connections";
        }
        int pending = 0;
        int pendingOfUid = 0;
        foreach (Connection c in _connections)
        {
            if (!c.Up)
            {
                pending++;
                pendingOfUid += c.Peer.Uid == peer.Uid ? 1 : 0;
            }
        }
        if (pending >= _maxPending)
        {
            return $"too many pending handshakes ({pending})";
        }
        return pendingOfUid >= _maxPendingPerUid ? $"too many pending handshakes from uid {peer.Uid} ({pendingOfUid})" : null;
    }

    private void Refuse(MemifControlChannel channel, string reason)
    {
        channel.SendDisconnect(reason);
        channel.Dispose();
        MemifLog.Refused(_logger, _socket, reason);
    }

    /// <summary>Ends handshakes that have not reached CONNECT in time, releasing the id they claimed and their fds.</summary>
    private void ExpireHandshakes()
    {
        long now = Environment.TickCount64;
        for (int i = _connections.Count - 1; i >= 0; i--)
        {
            Connection c = _connections[i];
            if (!c.Up && now > c.Deadline)
            {
                Close(c, $"handshake not completed within {_handshakeMilliseconds} ms", protocolError: true, tellPeer: true);
            }
        }
    }

    private void CheckLiveConnections()
    {
        for (int i = _connections.Count - 1; i >= 0; i--)
        {
            Connection c = _connections[i];
            if (c.Interface is null)
            {
                continue;
            }
            bool registered;
            lock (_interfaces)
            {
                registered = _interfaces.Contains(c.Interface);
            }
            if (!registered)
            {
                Close(c, "interface deleted", protocolError: false, tellPeer: true);
                continue;
            }
            if (c.Up && c.Interface.ServerFault() is { } fault)
            {
                Close(c, fault, protocolError: true, tellPeer: true);
            }
        }
    }

    private void Close(Connection c, string reason, bool protocolError, bool tellPeer)
    {
        if (tellPeer)
        {
            c.Channel.SendDisconnect(reason);
        }
        c.Channel.Dispose();
        _connections.Remove(c);
        foreach ((SafeFileDescriptor memfd, _) in c.Regions)
        {
            memfd.Dispose();
        }
        foreach (RingRequest ring in c.S2M)
        {
            ring.EventFd?.Dispose();
        }
        foreach (RingRequest ring in c.M2S)
        {
            ring.EventFd?.Dispose();
        }
        if (c.Interface is { } memif)
        {
            if (c.Up)
            {
                memif.ServerDisconnect(reason, protocolError);
            }
            else
            {
                memif.ServerRefused(reason, protocolError);
            }
            Volatile.Write(ref memif.IsClaimed, false);
        }
        else
        {
            MemifLog.Refused(_logger, _socket, reason);
        }
    }

    /// <summary>A listening socket's name: a file-system path, or an abstract name shown as "@name".</summary>
    private readonly record struct ListenAddress(string Name, bool Abstract)
    {
        public override string ToString() => Abstract ? "@" + Name : Name;
    }
}
