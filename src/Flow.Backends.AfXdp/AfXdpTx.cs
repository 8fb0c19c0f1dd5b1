using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flow.Backends.AfXdp.Internal;
using Flow.Backends.AfXdp.Protocol;
using Microsoft.Extensions.Logging;

namespace Flow.Backends.AfXdp;

/// <summary>
/// Transmits frames on one queue of an interface through AF_XDP. A packet of the queue's UMEM
/// pool (received on this queue, or allocated from <see cref="Pool"/>) is sent without a copy;
/// any other packet is copied into a UMEM frame and freed. Sent frames return to the pool when
/// the kernel reports them on the completion ring, which is reaped on every batch and tick so
/// tx never stalls on frames the kernel is done with.
/// Drop reasons: <c>tx_ring_full</c> (no tx slot even after a kick and, in blocking mode, a
/// bounded wait), <c>umem_empty</c> (no UMEM frame for a copy), <c>too_long</c> (longer than a
/// UMEM frame can carry).
/// </summary>
[Stage("af_xdp_tx", "Transmits frames on one AF_XDP queue (zero-copy for UMEM packets).", Accepts = typeof(Carries.Ethernet), Transmits = true)]
public sealed unsafe class AfXdpTx : Stage<NoOutput, AfXdpTx.Reason>, IDeviceCounters, IDisposable
{
    // One sendto in copy mode transmits at most this many frames (the kernel's TX_BATCH_SIZE /
    // max_tx_budget default); a bigger batch needs more kicks.
    private const int KernelTxBudget = 32;

    private readonly AfXdpPort _port;
    private readonly XskSocket _socket;
    private readonly ushort _poolId;
    private readonly int _dataOffset;
    private readonly int _capacity;
    private readonly bool _blocking;
    private readonly bool _needWakeup;
    private readonly int _pollTimeoutMs;
    private int _disposed;

    public enum Reason : byte
    {
        [DropReason("the tx ring had no free slot", Severity.Warning)]
        TxRingFull,

        [DropReason("no free UMEM frame to copy the packet into", Severity.Warning)]
        UmemEmpty,

        [DropReason("the packet is longer than a UMEM frame can carry", Severity.Warning)]
        TooLong,
    }

    public AfXdpTx(AfXdpOptions options, ILogger<AfXdpPort>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _port = AfXdpPort.Acquire(options, logger);
        _socket = _port.Socket(options.Queue);
        _poolId = _socket.Pool.Id;
        _dataOffset = _socket.Pool.DataOffset;
        _capacity = _socket.FrameSize - _dataOffset;
        _blocking = options.Blocking;
        _needWakeup = _socket.NeedWakeup;
        _pollTimeoutMs = options.PollTimeoutMs;
    }

    public AfXdpPort Port => _port;

    public int Queue => _socket.Queue;

    /// <summary>The UMEM pool: packets allocated from it are transmitted without a copy.</summary>
    public PacketPool Pool => _socket.Pool;

    /// <summary>Frames posted and not yet completed by the kernel.</summary>
    public long InFlight => Volatile.Read(ref _socket.TxPackets) - Volatile.Read(ref _socket.TxCompleted);

    public AfXdpStatistics GetStatistics() => _port.GetStatistics(_socket.Queue);

    public string CounterDevice => _port.CounterDevice(_socket.Queue);

    public IReadOnlyList<KeyValuePair<string, long>> ReadDeviceCounters() => GetStatistics().ToCounters();

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        XskSocket socket = _socket;
        Reap(socket);

        int count = packets.Length;
        uint reserved = socket.Tx.Reserve((uint)count, out uint index);
        if (reserved < (uint)count)
        {
            reserved += MakeRoom(socket, (uint)count - reserved);
        }

        // Foreign packets (other pools) need a UMEM frame each; take them in one bulk call.
        Span<Packet> spare = stackalloc Packet[count];
        int foreign = 0;
        for (int i = 0; i < (int)reserved; i++)
        {
            if (packets[i].Meta.PoolId != _poolId)
            {
                foreign++;
            }
        }
        int spareCount = foreign == 0 ? 0 : socket.Pool.AllocateBulk(spare.Slice(0, foreign));
        int spareUsed = 0;

        Span<Packet> copied = stackalloc Packet[count];
        int copiedCount = 0;
        uint used = 0;
        long bytes = 0;
        Umem umemMap = socket.Umem;
        byte* umem = umemMap.Region;
        for (int i = 0; i < (int)reserved; i++)
        {
            Packet packet = packets[i];
            byte* frame;
            int length = packet.Length;
            if (packet.Meta.PoolId == _poolId)
            {
                // The kernel would count a descriptor past its chunk as invalid and never complete
                // it, so the frame would stay lent until the UMEM is gone; refuse it here instead.
                if (packet.Meta.DataOffset + length > packet.Meta.FrameSize)
                {
                    nexts[i] = Drop(Reason.TooLong);
                    continue;
                }
                frame = packet.Frame;
                ref XdpDesc desc = ref socket.Tx.Descriptor(index + used);
                desc.Addr = (ulong)(packet.DataPointer - umem);
                desc.Len = (uint)length;
                desc.Options = 0;
            }
            else
            {
                if (length > _capacity)
                {
                    nexts[i] = Drop(Reason.TooLong);
                    continue;
                }
                if (spareUsed == spareCount)
                {
                    nexts[i] = Drop(Reason.UmemEmpty);
                    continue;
                }
                frame = spare[spareUsed++].Frame;
                Buffer.MemoryCopy(packet.DataPointer, frame + _dataOffset, _capacity, length);
                ref XdpDesc desc = ref socket.Tx.Descriptor(index + used);
                desc.Addr = (ulong)(frame - umem) + (ulong)_dataOffset;
                desc.Len = (uint)length;
                desc.Options = 0;
                copied[copiedCount++] = packet;
            }
            umemMap.Lent((ulong)(frame - umem));
            nexts[i] = Next.Consumed;
            bytes += length;
            used++;
        }
        for (int i = (int)reserved; i < count; i++)
        {
            nexts[i] = Drop(Reason.TxRingFull);
        }
        socket.Tx.Cancel(reserved - used);
        if (spareUsed < spareCount)
        {
            socket.Pool.FreeBulk(spare.Slice(spareUsed, spareCount - spareUsed));
        }
        if (used != 0)
        {
            socket.Tx.Submit();
            Kick(socket, (int)used);
        }
        if (copiedCount != 0)
        {
            PacketPools.Free(copied.Slice(0, copiedCount));
        }

        Volatile.Write(ref socket.TxPackets, socket.TxPackets + used);
        Volatile.Write(ref socket.TxBytes, socket.TxBytes + bytes);
        Volatile.Write(ref socket.TxCopies, socket.TxCopies + copiedCount);
    }

    /// <summary>Reaps completions and kicks the kernel on the worker's timer, so frames come home between batches too.</summary>
    public override void Tick(long nowNanoseconds)
    {
        XskSocket socket = _socket;
        if (socket.Tx.Outstanding != 0)
        {
            Kick(socket, KernelTxBudget);
        }
        Reap(socket);
    }

    /// <summary>Returns the frames the kernel finished sending to the pool.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reap(XskSocket socket)
    {
        uint n = socket.Completion.Peek(256, out uint index);
        if (n != 0)
        {
            ReapSlow(socket, n, index);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReapSlow(XskSocket socket, uint n, uint index)
    {
        Span<Packet> done = stackalloc Packet[256];
        Umem umem = socket.Umem;
        long total = 0;
        while (n != 0)
        {
            int count = 0;
            for (uint i = 0; i < n; i++)
            {
                if (umem.ChunkOf(socket.Completion.Address(index + i), out ulong chunk) != null && umem.TryReturn(chunk))
                {
                    done[count++] = umem.PacketOf(chunk);
                }
            }
            socket.Completion.Release();
            socket.Pool.FreeBulk(done.Slice(0, count));
            total += n;
            n = socket.Completion.Peek(256, out index);
        }
        Volatile.Write(ref socket.TxCompleted, socket.TxCompleted + total);
    }

    /// <summary>
    /// Tx ring short of <paramref name="missing"/> slots: kick the kernel and reap, and in blocking
    /// mode wait (bounded by PollTimeoutMs) for room. Returns the extra slots reserved.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private uint MakeRoom(XskSocket socket, uint missing)
    {
        Kick(socket, KernelTxBudget);
        Reap(socket);
        uint got = socket.Tx.Reserve(missing, out _);
        if (got < missing && _blocking)
        {
            Interop.Sys.PollFd fd = default; // zeroed: Revents must start at 0
            fd.Fd = socket.Fd;
            fd.Events = Interop.Sys.POLLOUT;
            Interop.Sys.Poll(&fd, 1, _pollTimeoutMs);
            Reap(socket);
            got += socket.Tx.Reserve(missing - got, out _);
        }
        return got;
    }

    /// <summary>
    /// Tells the kernel there is something to send: always in copy mode without need-wakeup, else
    /// only when the tx ring's flag asks. In copy mode the kernel sends at most
    /// <see cref="KernelTxBudget"/> frames per call, so big batches take a few calls; EAGAIN means
    /// "more to do", anything else is counted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Kick(XskSocket socket, int posted)
    {
        if (_needWakeup && !socket.Tx.NeedsWakeup)
        {
            return;
        }
        KickSlow(socket, posted);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void KickSlow(XskSocket socket, int posted)
    {
        int rounds = (posted + KernelTxBudget - 1) / KernelTxBudget + 1;
        int kicks = 0;
        int errors = 0;
        for (int r = 0; r < rounds; r++)
        {
            kicks++;
            if (Interop.Sys.SendTo(socket.Fd, null, 0, Interop.Sys.MSG_DONTWAIT, null, 0) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                // EAGAIN: budget used up with frames left, kick again. EBUSY: another send is
                // in progress on this socket. ENOBUFS: no skb now. Both mean "later".
                if (errno != Interop.Errno.EAGAIN && errno != Interop.Errno.EBUSY && errno != Interop.Errno.ENOBUFS)
                {
                    errors++;
                    break;
                }
            }
            if (socket.Tx.Outstanding == 0)
            {
                break;
            }
        }
        Volatile.Write(ref socket.TxKicks, socket.TxKicks + kicks);
        if (errors != 0)
        {
            Volatile.Write(ref socket.TxKickErrors, socket.TxKickErrors + errors);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _port.Release();
        }
    }
}
