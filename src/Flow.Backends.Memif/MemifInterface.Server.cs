using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif;

/// <summary>Server role: registered on a shared listener; maps the client's memory per connection.</summary>
public sealed unsafe partial class MemifInterface
{
    private MemifListener? _listener;
    private MemifRegion[]? _serverRegions;
    private SafeFileDescriptor[]? _serverEventFds;
    private int _serverQueuePairs;

    /// <summary>Server role: true while a connection is bound to this interface (handshaking or up).</summary>
    internal bool IsClaimed;

    private void StartServer()
    {
        _listener = MemifListener.Acquire(Options, _logger);
        _listener.Register(this);
    }

    private void StopServer()
    {
        if (_listener is not null)
        {
            _listener.Unregister(this);
            _listener.Release();
            _listener = null;
        }
    }

    /// <summary>
    /// Listener thread, on CONNECT: maps the client's regions, checks the rings and brings the
    /// queues up. Null on success, else why the connection is refused. Takes ownership of the
    /// region fds and eventfds (closes them on failure).
    /// </summary>
    internal string? ServerConnect(List<(SafeFileDescriptor Memfd, ulong Size)> regionFds, MemifListener.RingRequest[] s2m, MemifListener.RingRequest[] m2s,
        int queuePairs, string peer)
    {
        var regions = new MemifRegion[regionFds.Count];
        int mapped = 0;
        string? problem = null;
        for (; mapped < regionFds.Count; mapped++)
        {
            MemifRegion? region = MemifRegion.Map(regionFds[mapped].Memfd, regionFds[mapped].Size);
            if (region is null)
            {
                problem = $"mmap of region {mapped} failed";
                break;
            }
            regions[mapped] = region;
        }
        if (problem is null)
        {
            for (int q = 0; q < queuePairs && problem is null; q++)
            {
                problem = CheckRing(regions, s2m[q], "S2M", q) ?? CheckRing(regions, m2s[q], "M2S", q);
            }
        }
        if (problem is not null)
        {
            for (int i = 0; i < mapped; i++)
            {
                regions[i].Dispose();
            }
            for (int i = mapped; i < regionFds.Count; i++)
            {
                regionFds[i].Memfd.Dispose();
            }
            for (int q = 0; q < queuePairs; q++)
            {
                s2m[q].EventFd!.Dispose();
                m2s[q].EventFd!.Dispose();
            }
            return problem;
        }

        _serverRegions = regions;
        _serverEventFds = new SafeFileDescriptor[2 * queuePairs];
        _serverQueuePairs = queuePairs;
        for (int q = 0; q < queuePairs; q++)
        {
            var rxRing = (MemifRingHeader*)(regions[s2m[q].Region].Base + s2m[q].Offset);
            var txRing = (MemifRingHeader*)(regions[m2s[q].Region].Base + m2s[q].Offset);
            // Fresh indices for a fresh connection (DPDK does the same on CONNECT); the client
            // starts posting only after CONNECTED, so nothing is lost.
            Volatile.Write(ref rxRing->Head, (ushort)0);
            Volatile.Write(ref rxRing->Tail, (ushort)0);
            Volatile.Write(ref txRing->Head, (ushort)0);
            Volatile.Write(ref txRing->Tail, (ushort)0);
            // Our rx ring (S2M): polling asks the client not to signal.
            Volatile.Write(ref rxRing->Flags, Options.Interrupt ? (ushort)0 : MemifConstants.RingFlagMaskInterrupt);
            _serverEventFds[q] = s2m[q].EventFd!;
            _serverEventFds[queuePairs + q] = m2s[q].EventFd!;
            _rx[q].Attach(new RingBinding(rxRing, s2m[q].Log2Size, s2m[q].EventFd!.Fd, regions));
            _tx[q].Attach(new RingBinding(txRing, m2s[q].Log2Size, m2s[q].EventFd!.Fd, regions));
        }
        OnConnected(queuePairs, 1 << s2m[0].Log2Size, peer);
        return null;
    }

    private static string? CheckRing(MemifRegion[] regions, MemifListener.RingRequest ring, string direction, int queue)
    {
        // Region index and extent were checked at ADD_RING; the cookie can only be read now.
        var header = (MemifRingHeader*)(regions[ring.Region].Base + ring.Offset);
        return Volatile.Read(ref header->Cookie) == MemifConstants.Cookie ? null : $"{direction} ring {queue} has a wrong cookie";
    }

    /// <summary>Listener thread: the connection ended (or the listener is closing); tear the session down.</summary>
    internal void ServerDisconnect(string reason, bool protocolError)
    {
        int queuePairs = _serverQueuePairs;
        if (queuePairs == 0)
        {
            return;
        }
        for (int q = 0; q < queuePairs; q++)
        {
            _rx[q].Detach(null);
            _tx[q].Detach(null);
        }
        // Workers are out of the rings: unmapping is safe now.
        foreach (MemifRegion region in _serverRegions!)
        {
            region.Dispose();
        }
        foreach (SafeFileDescriptor eventFd in _serverEventFds!)
        {
            eventFd.Dispose();
        }
        _serverRegions = null;
        _serverEventFds = null;
        _serverQueuePairs = 0;
        OnDisconnected(reason, protocolError);
    }

    /// <summary>Listener thread: a peer whose credentials this interface (or, before INIT, no interface on the socket) allows was refused.</summary>
    internal void ServerRejectedPeer(string reason)
    {
        Interlocked.Increment(ref _rejectedPeers);
        Volatile.Write(ref _lastDisconnectReason, reason);
    }

    /// <summary>Listener thread: a handshake for this interface was refused.</summary>
    internal void ServerRefused(string reason, bool protocolError) => OnRefused(reason, protocolError);

    /// <summary>Listener thread: fault raised by a worker on a live connection, or null.</summary>
    internal string? ServerFault() => _serverQueuePairs == 0 ? null : TakeQueueFault(_serverQueuePairs);

    internal int MaxLog2RingSize => _maxLog2;
}
