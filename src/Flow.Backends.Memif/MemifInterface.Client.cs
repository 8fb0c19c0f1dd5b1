using System.Runtime.InteropServices;
using Flow.Backends.Memif.Internal;
using Flow.Backends.Memif.Protocol;

namespace Flow.Backends.Memif;

/// <summary>Client role: owns the memory, connects, negotiates, reconnects with backoff.</summary>
public sealed unsafe partial class MemifInterface
{
    private MemifRegion? _ringRegion;
    private MemifBufferGroup? _buffers;
    // Copy mode: this connection's buffer region (region 1), made at connect, unmapped at disconnect.
    private MemifRegion? _copyRegion;
    // The interrupt eventfd of every ring (S2M queues, then M2S), the same across connections.
    private SafeFileDescriptor[]? _ringEventFds;
    private Thread? _clientThread;
    private SafeFileDescriptor? _stop;
    // Zero-copy: a server may have been handed region 1 since it was last renewed.
    private bool _buffersShown;
    private volatile bool _stopping;

    /// <summary>
    /// Client role: the pool whose frames are the shared memory. Packets allocated from it are
    /// transmitted without a copy (received packets already come from it); null in server role.
    /// </summary>
    public PacketPool? SharedPool => _buffers?.Pool;

    /// <summary>Client role: region 1 as this process maps it now (the pool's memory, or in copy mode this connection's region; null between connections).</summary>
    internal byte* BufferRegionBase => _buffers is not null ? _buffers.Region.Base : _copyRegion is { } region ? region.Base : null;

    /// <summary>Client role: bytes of region 1 at <see cref="BufferRegionBase"/>.</summary>
    internal ulong BufferRegionSize => _buffers?.Region.Size ?? _copyRegion?.Size ?? 0;

    /// <summary>Client copy mode: the buffer region's memfd of the live connection, or -1 (tests compare it across reconnects).</summary>
    internal int CopyRegionFd => _copyRegion?.Fd ?? -1;

    /// <summary>Client role with <see cref="MemifOptions.ZeroCopy"/> off: buffers are copied, region 1 is per connection.</summary>
    internal bool IsCopyClient => Role == MemifRole.Client && !Options.ZeroCopy;

    /// <summary>Client role: the stable eventfd of rx ring <paramref name="queue"/>.</summary>
    internal int ClientRxEventFd(int queue) => _ringEventFds is null ? -1 : _ringEventFds[Options.QueuePairs + queue].Fd;

    /// <summary>Client role: ring header of queue <paramref name="queue"/> in region 0 (tests play a hostile server with it).</summary>
    internal MemifRingHeader* ClientRing(bool s2m, int queue) => (MemifRingHeader*)(_ringRegion!.Base + RingOffset(s2m, queue));

    private int RingStride => MemifRingHeader.SizeOf(_maxLog2);

    private uint RingOffset(bool s2m, int queue) => (uint)(((s2m ? 0 : Options.QueuePairs) + queue) * RingStride);

    private void StartClient()
    {
        int queues = Options.QueuePairs;
        int slots = 2 * queues * (1 << _maxLog2);
        // Buffers first: joining a group is what may refuse (a buffer size that does not match).
        // A group is sized by its first member: room for the rings of eight like it by default.
        // Copy mode has no shared pool: its region is made per connection (ServeClientConnection).
        _buffers = !Options.ZeroCopy ? null : Options.BufferGroup is { } group
            ? MemifBufferGroup.Join(group, Options.PoolFrames > 0 ? Options.PoolFrames : 8 * slots + 1024, Options.BufferSize)
            : MemifBufferGroup.CreatePrivate($"memif-{Options.InterfaceId}-shared",
                Options.PoolFrames > 0 ? Options.PoolFrames : 2 * slots + 1024, Options.BufferSize);
        _ringEventFds = new SafeFileDescriptor[2 * queues];
        for (int i = 0; i < _ringEventFds.Length; i++)
        {
            _ringEventFds[i] = NewEventFd();
        }
        _stop = NewEventFd();
        _clientThread = new Thread(RunClient) { IsBackground = true, Name = $"memif-client-{Options.InterfaceId}" };
        _clientThread.Start();
    }

    /// <summary>A non-blocking eventfd; throws when the system has none to give (Create then disposes what exists).</summary>
    internal static SafeFileDescriptor NewEventFd()
    {
        var eventFd = new SafeFileDescriptor(Interop.Sys.EventFd(0, Interop.Sys.EFD_NONBLOCK | Interop.Sys.EFD_CLOEXEC));
        if (eventFd.IsInvalid)
        {
            throw new IOException($"memif: eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return eventFd;
    }

    /// <summary>Outer loop (Kestrel's split): connect, serve, classify the end, back off, repeat.</summary>
    private void RunClient()
    {
        TimeSpan delay = Options.ReconnectMinDelay;
        while (!_stopping)
        {
            bool wasUp = false;
            try
            {
                MemifControlChannel? channel = MemifControlChannel.Connect(Options.Socket, Options.Abstract, out int errno);
                if (channel is null)
                {
                    OnRefused($"connect failed: errno {errno}", protocolError: false);
                }
                else
                {
                    using (channel)
                    {
                        wasUp = ServeClientConnection(channel);
                    }
                }
            }
            catch (Exception exception)
            {
                // A bug, not a peer problem: log it and keep the interface alive.
                MemifLog.ControlLoopFailed(_logger, DisplayName, exception);
            }
            delay = wasUp ? Options.ReconnectMinDelay : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Options.ReconnectMaxDelay.Ticks));
            WaitStop(wasUp ? Options.ReconnectMinDelay : delay);
        }
    }

    private void WaitStop(TimeSpan delay)
    {
        Interop.Sys.PollFd pfd = new() { Fd = _stop!.Fd, Events = Interop.Sys.POLLIN };
        Interop.Sys.Poll(&pfd, 1, (int)Math.Max(1, delay.TotalMilliseconds));
    }

    /// <summary>
    /// Checks who the server is, then handshakes and serves one connection with a ring region of
    /// its own; true when the link was up.
    /// </summary>
    private bool ServeClientConnection(MemifControlChannel channel)
    {
        // Zero-copy: fresh memory behind the pool before a new server can see it, if no frame is
        // out (security review M5). Done before the exposure check, which a renewal resets.
        if (_buffersShown && _buffers!.TryRenew())
        {
            _buffersShown = false;
        }
        // Before reading or sending anything: INIT carries the secret and ADD_REGION hands over
        // the memory the graph's packets live in (security review C1).
        string? refusal = !MemifPeerCheck.TryRead(channel.Fd, out Interop.Sys.UCred server) ? "server credentials unavailable"
            : !MemifPeerCheck.Allows(Options, server.Uid, server.Gid) ? MemifPeerCheck.Refusal(server)
            : _buffers is not null && !_buffers.TryExposeTo(server.Uid, out uint earlier)
                ? $"server uid {server.Uid} may not see buffer memory uid {earlier} has mapped (restart Flow for a fresh region)"
            : null;
        if (refusal is not null)
        {
            Interlocked.Increment(ref _rejectedPeers);
            OnRefused(refusal, protocolError: false);
            return false;
        }
        // A fresh memfd per connection: a server that goes away keeps the fd and the mapping it
        // was given, so reusing it would let a former server write the rings of the next session
        // (security review M5). The buffer region gets fresh memory too when no frame of its pool
        // is out; otherwise it is kept (counted) and MemifBufferGroup.TryExposeTo guards it.
        MemifRegion rings = MemifRegion.Create("flow-memif-rings", (ulong)(2 * Options.QueuePairs * RingStride));
        _ringRegion = rings;
        if (_buffersShown)
        {
            Interlocked.Increment(ref _regionReuses);
            MemifLog.RegionReused(_logger, DisplayName, _buffers!.Pool.Outstanding);
        }
        _buffersShown |= _buffers is not null; // from here on the server may get region 1's fd
        // Copy mode: the buffers are fresh per connection too, so they can go with the server.
        MemifRegion? copyBuffers = _buffers is null ? MemifRegion.Create("flow-memif-buffers", CopyRegionSize) : null;
        _copyRegion = copyBuffers;
        try
        {
            return ServeWithRings(channel);
        }
        finally
        {
            // Workers are out of the rings (DetachClientQueues) or never entered them.
            _ringRegion = null;
            _copyRegion = null;
            rings.Dispose();
            copyBuffers?.Dispose();
        }
    }

    /// <summary>Copy mode: one buffer per slot of every ring at the largest ring size (pages a smaller ring never touches cost nothing).</summary>
    private ulong CopyRegionSize => (ulong)(2 * Options.QueuePairs) * (ulong)(1 << _maxLog2) * (ulong)Options.BufferSize;

    /// <summary>Copy mode: offset in region 1 of the first buffer of a ring (same order as the rings in region 0).</summary>
    private uint FixedBufferOffset(bool s2m, int queue) =>
        (uint)(((s2m ? 0 : Options.QueuePairs) + queue) * (1 << _maxLog2) * Options.BufferSize);

    private MemifRegion BufferRegion => _buffers?.Region ?? _copyRegion!;

    private bool ServeWithRings(MemifControlChannel channel)
    {
        int timeout = (int)Options.HandshakeTimeout.TotalMilliseconds;
        string? refusal = ClientHandshake(channel, timeout, out int queuePairs, out int log2);
        if (refusal is not null)
        {
            channel.SendDisconnect(refusal);
            // "peer ..." is the server ending it (closed, refused, cannot serve two regions);
            // anything else (a lie, a wrong order, silence) is a protocol error.
            OnRefused(refusal, protocolError: !refusal.StartsWith("peer", StringComparison.Ordinal));
            return false;
        }

        MemifRegion[] regions = [_ringRegion!, BufferRegion];
        var bindings = new RingBinding[2 * queuePairs];
        for (int q = 0; q < queuePairs; q++)
        {
            bindings[q] = new RingBinding((MemifRingHeader*)(_ringRegion!.Base + RingOffset(true, q)), log2, _ringEventFds![q].Fd, regions);
            bindings[queuePairs + q] = new RingBinding((MemifRingHeader*)(_ringRegion.Base + RingOffset(false, q)), log2,
                _ringEventFds[Options.QueuePairs + q].Fd, regions);
            // Post the rx buffers now (the worker has not seen this ring yet), so the server can
            // send as soon as it reads CONNECTED's effect rather than after our first poll.
            RingBinding rx = bindings[queuePairs + q];
            if (_buffers is null)
            {
                SetFixedBuffers(bindings[q], s2m: true, q);
                SetFixedBuffers(rx, s2m: false, q);
                rx.RefillFixed();
            }
            else
            {
                rx.RefillClient(_rx[q].Slots, _buffers.Pool, _buffers.Region.Base, PacketPool.DefaultDataOffset, Options.BufferSize);
            }
            rx.Primed = true;
            _tx[q].Attach(bindings[q]);
            _rx[q].Attach(rx);
        }
        OnConnected(queuePairs, 1 << log2, PeerName);

        string reason;
        bool byPeer;
        bool isProtocolError = false;
        while (true)
        {
            Interop.Sys.PollFd* fds = stackalloc Interop.Sys.PollFd[2];
            fds[0] = new Interop.Sys.PollFd { Fd = channel.Fd, Events = Interop.Sys.POLLIN };
            fds[1] = new Interop.Sys.PollFd { Fd = _stop!.Fd, Events = Interop.Sys.POLLIN };
            Interop.Sys.Poll(fds, 2, 100);
            if (_stopping)
            {
                reason = "interface closed";
                byPeer = false;
                break;
            }
            string? fault = TakeQueueFault(queuePairs);
            if (fault is not null)
            {
                reason = fault;
                byPeer = false;
                isProtocolError = true;
                break;
            }
            if ((fds[0].Revents & (Interop.Sys.POLLIN | Interop.Sys.POLLHUP | Interop.Sys.POLLERR)) == 0)
            {
                continue;
            }
            ReceiveStatus status = channel.ReceiveNow(out MemifMessage message, out int fd);
            MemifControlChannel.CloseFd(ref fd);
            if (status == ReceiveStatus.Timeout)
            {
                continue;
            }
            byPeer = true;
            if (status == ReceiveStatus.Closed)
            {
                reason = "peer closed the control channel";
            }
            else if (status == ReceiveStatus.Malformed)
            {
                reason = "peer sent a malformed message";
                isProtocolError = true;
                byPeer = false;
            }
            else if (message.Type == MemifMessageType.Disconnect)
            {
                reason = "peer disconnected: " + MemifControlChannel.DisconnectReason(message);
            }
            else
            {
                reason = $"unexpected message {(ushort)message.Type} while connected";
                isProtocolError = true;
                byPeer = false;
            }
            break;
        }
        if (!byPeer)
        {
            channel.SendDisconnect(reason);
        }
        DetachClientQueues(bindings, queuePairs);
        OnDisconnected(reason, isProtocolError);
        return true;
    }

    private void SetFixedBuffers(RingBinding ring, bool s2m, int queue)
    {
        ring.FixedBuffers = FixedBufferOffset(s2m, queue);
        ring.FixedBufferSize = Options.BufferSize;
    }

    /// <summary>HELLO → INIT/ACK → ADD_REGION/ACK ×2 → ADD_RING/ACK ×2n → CONNECT → CONNECTED. Null on success, else the reason.</summary>
    private string? ClientHandshake(MemifControlChannel channel, int timeout, out int queuePairs, out int log2)
    {
        queuePairs = 0;
        log2 = 0;
        string? problem = Expect(channel, MemifMessageType.Hello, timeout, out MemifMessage hello);
        if (problem is not null)
        {
            return problem;
        }
        if (hello.Hello.MinVersion > MemifConstants.Version || hello.Hello.MaxVersion < MemifConstants.Version)
        {
            return $"incompatible memif version {hello.Hello.MinVersion:x}..{hello.Hello.MaxVersion:x}";
        }
        if (hello.Hello.MaxRegion < 1)
        {
            return "peer accepts only one region; Flow needs two (rings, buffers)";
        }
        Volatile.Write(ref _peerName, MemifControlChannel.ReadString(hello.Hello.Name, MemifConstants.NameSize));
        queuePairs = Math.Min(Options.QueuePairs, Math.Min(hello.Hello.MaxS2MRing + 1, hello.Hello.MaxM2SRing + 1));
        log2 = Math.Min(_maxLog2, (int)hello.Hello.MaxLog2RingSize);
        if (log2 < 1)
        {
            log2 = 1;
        }
        InitRings(queuePairs, log2);

        MemifMessage init = default; // zeroed: unused bytes go to the peer
        init.Type = MemifMessageType.Init;
        init.Init.Version = MemifConstants.Version;
        init.Init.InterfaceId = Options.InterfaceId;
        init.Init.Mode = MemifConstants.ModeEthernet;
        MemifControlChannel.WriteString(Options.Secret, init.Init.Secret, MemifConstants.SecretSize);
        MemifControlChannel.WriteString(Options.Name, init.Init.Name, MemifConstants.NameSize);
        if ((problem = Request(channel, ref init, -1, timeout)) is not null)
        {
            return problem;
        }
        MemifRegion[] regions = [_ringRegion!, BufferRegion];
        for (int r = 0; r < regions.Length; r++)
        {
            MemifMessage region = default;
            region.Type = MemifMessageType.AddRegion;
            region.AddRegion.Index = (ushort)r;
            region.AddRegion.Size = regions[r].Size;
            if ((problem = Request(channel, ref region, regions[r].Fd, timeout)) is not null)
            {
                return problem;
            }
        }
        for (int direction = 0; direction < 2; direction++)
        {
            bool s2m = direction == 0;
            for (int q = 0; q < queuePairs; q++)
            {
                MemifMessage ring = default;
                ring.Type = MemifMessageType.AddRing;
                ring.AddRing.Flags = s2m ? MemifConstants.AddRingFlagS2M : (ushort)0;
                ring.AddRing.Index = (ushort)q;
                ring.AddRing.Region = 0;
                ring.AddRing.Offset = RingOffset(s2m, q);
                ring.AddRing.Log2RingSize = (byte)log2;
                int eventFd = _ringEventFds![(s2m ? 0 : Options.QueuePairs) + q].Fd;
                if ((problem = Request(channel, ref ring, eventFd, timeout)) is not null)
                {
                    return problem;
                }
            }
        }
        MemifMessage connect = default;
        connect.Type = MemifMessageType.Connect;
        MemifControlChannel.WriteString(Options.Name, connect.Connect.InterfaceName, MemifConstants.NameSize);
        if (channel.Send(ref connect) != 0)
        {
            return "peer closed the control channel during the handshake";
        }
        problem = Expect(channel, MemifMessageType.Connected, timeout, out MemifMessage connected);
        if (problem is not null)
        {
            return problem;
        }
        string peerInterface = MemifControlChannel.ConnectName(connected);
        Volatile.Write(ref _peerName, $"{PeerName}/{peerInterface}");
        return null;
    }

    /// <summary>Writes every ring header (cookie, indices, interrupt mask) before the server sees them.</summary>
    private void InitRings(int queuePairs, int log2)
    {
        for (int direction = 0; direction < 2; direction++)
        {
            bool s2m = direction == 0;
            for (int q = 0; q < queuePairs; q++)
            {
                var ring = (MemifRingHeader*)(_ringRegion!.Base + RingOffset(s2m, q));
                new Span<byte>(ring, MemifRingHeader.SizeOf(log2)).Clear();
                ring->Cookie = MemifConstants.Cookie;
                // Our rx ring (M2S): ask the server not to signal when we poll.
                ring->Flags = !s2m && !Options.Interrupt ? MemifConstants.RingFlagMaskInterrupt : (ushort)0;
            }
        }
    }

    private static string? Request(MemifControlChannel channel, ref MemifMessage message, int fd, int timeout)
    {
        MemifMessageType type = message.Type;
        if (channel.Send(ref message, fd) != 0)
        {
            return "peer closed the control channel during the handshake";
        }
        string? problem = Expect(channel, MemifMessageType.Ack, timeout, out _);
        return problem is null ? null : $"{problem} (after {type})";
    }

    private static string? Expect(MemifControlChannel channel, MemifMessageType type, int timeout, out MemifMessage message)
    {
        ReceiveStatus status = channel.Receive(out message, out int fd, timeout);
        MemifControlChannel.CloseFd(ref fd);
        return status switch
        {
            ReceiveStatus.Timeout => $"no {type} within {timeout} ms",
            ReceiveStatus.Closed => "peer closed the control channel during the handshake",
            ReceiveStatus.Malformed => "malformed message during the handshake",
            _ when message.Type == MemifMessageType.Disconnect =>
                "peer refused: " + MemifControlChannel.DisconnectReason(message),
            _ when message.Type != type => $"expected {type}, got message type {(ushort)message.Type}",
            _ => null,
        };
    }

    /// <summary>Withdraws the rings from the workers, then returns the frames the rings held to the pool.</summary>
    private void DetachClientQueues(RingBinding[] bindings, int queuePairs)
    {
        for (int q = 0; q < queuePairs; q++)
        {
            // The connection's own binding, not what the queue holds: a worker that found a
            // protocol fault has already withdrawn it (RaiseFault), and its in-flight frames
            // must come home all the same (security review M1).
            RingBinding tx = _tx[q].Detach(bindings[q])!;
            _rx[q].Detach(bindings[queuePairs + q]);
            if (_buffers is null)
            {
                continue; // copy mode: the slots hold no frames, the region goes with the connection
            }
            // In flight on the S2M ring (head - tail): the server will never return them now.
            int inFlight = (ushort)(tx.Head - tx.Tail);
            for (int i = 0; i < inFlight && i < tx.Size; i++)
            {
                int slot = (tx.Tail + i) & tx.Mask;
                _buffers!.Pool.Free(_tx[q].Slots[slot]);
                _tx[q].Slots[slot] = default;
            }
            Packet[] slots = _rx[q].Slots;
            for (int i = 0; i < slots.Length; i++)
            {
                if (!slots[i].IsNull)
                {
                    _buffers!.Pool.Free(slots[i]);
                    slots[i] = default;
                }
            }
        }
    }

    private void StopClient()
    {
        _stopping = true;
        if (_stop is not null)
        {
            Interop.Sys.SignalEventFd(_stop.Fd);
        }
        _clientThread?.Join();
        // Queues were detached by the control thread on its way out; the pool can go.
        _buffers?.Leave();
        if (_ringEventFds is not null)
        {
            foreach (SafeFileDescriptor? eventFd in _ringEventFds)
            {
                eventFd?.Dispose(); // null when Create failed part-way
            }
        }
        _stop?.Dispose();
    }
}
