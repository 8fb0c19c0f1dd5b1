using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flow.Backends.AfXdp.Protocol;
using Microsoft.Extensions.Logging;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>
/// One AF_XDP socket bound to one queue, with its four rings mapped into this process, over a
/// <see cref="Internal.Umem"/> it registered itself or shares with the port's first socket.
/// </summary>
/// <remarks>
/// Threads: the rx stage owns <see cref="Fill"/> and <see cref="Rx"/>, the tx stage owns
/// <see cref="Tx"/> and <see cref="Completion"/>; the pool between them is MPMC. Each socket has
/// its own fill and completion ring even when the UMEM is shared (Linux 5.10+ for sockets on
/// different queues).
/// </remarks>
internal sealed unsafe class XskSocket : IDisposable
{
    public XskProducerRing Fill;
    public XskProducerRing Tx;
    public XskConsumerRing Rx;
    public XskConsumerRing Completion;

    // Counters: rx-side fields are written only by the rx worker, tx-side only by the tx worker,
    // each with Volatile.Write once per batch; readers (stats) use Volatile.Read.
    public long RxPackets;
    public long RxBytes;
    public long RxWakeups;
    public long TxPackets;
    public long TxBytes;
    public long TxCopies;
    public long TxCompleted;
    public long TxKicks;
    public long TxKickErrors;

    private readonly Umem _umem;
    private SafeFileDescriptor? _fd;
    private RingMap _rxMap;
    private RingMap _txMap;
    private RingMap _fillMap;
    private RingMap _completionMap;
    private int _disposed;

    private XskSocket(int queue, Umem umem)
    {
        Queue = queue;
        _umem = umem;
    }

    public int Queue { get; }

    /// <summary>The socket's descriptor, for the kicks and wakeups of the data path; valid while the port is open.</summary>
    public int Fd => _fd?.Fd ?? -1;

    public int FrameSize => _umem.FrameSize;

    public Umem Umem => _umem;

    public PacketPool Pool => _umem.Pool;

    public bool IsZeroCopy { get; private set; }

    public bool NeedWakeup { get; private set; }

    /// <summary>Preferred busy polling was set on the socket (<see cref="AfXdpOptions.BusyPollBudget"/>).</summary>
    public bool BusyPoll { get; private set; }

    /// <summary>
    /// Creates, maps and binds a socket for <paramref name="queue"/>; tries zero-copy then copy
    /// when the bind mode is Auto and logs the fallback; retries EBUSY for a bounded time.
    /// </summary>
    /// <remarks>
    /// With <paramref name="shareWith"/> the socket binds with XDP_SHARED_UMEM to that socket's
    /// UMEM and inherits its bind mode and need-wakeup (the kernel refuses those flags then).
    /// </remarks>
    public static XskSocket Open(AfXdpOptions options, uint ifindex, int queue, Umem umem, XskSocket? shareWith, ILogger logger)
    {
        ReadOnlySpan<ushort> auto = [XdpConstants.XdpZeroCopy, XdpConstants.XdpCopy];
        ReadOnlySpan<ushort> copy = [XdpConstants.XdpCopy];
        ReadOnlySpan<ushort> zeroCopy = [XdpConstants.XdpZeroCopy];
        ReadOnlySpan<ushort> shared = [XdpConstants.XdpSharedUmem];
        ReadOnlySpan<ushort> attempts = shareWith is not null ? shared : options.BindMode switch
        {
            AfXdpBindMode.Copy => copy,
            AfXdpBindMode.ZeroCopy => zeroCopy,
            _ => auto,
        };
        for (int i = 0; ; i++)
        {
            var socket = new XskSocket(queue, umem);
            try
            {
                socket.Setup(options, registerUmem: shareWith is null);
                int errno = socket.BindWithRetry(options, ifindex, attempts[i], shareWith, logger);
                if (errno == 0)
                {
                    socket.ConfigureBusyPoll(options);
                    socket.PrimeFillRing(Math.Min(options.EffectiveFillRingSize, options.FrameCount / 2));
                    AfXdpLog.SocketBound(logger, options.Interface, queue, socket.IsZeroCopy ? "zero-copy" : "copy", socket.NeedWakeup);
                    return socket;
                }
                if (i + 1 < attempts.Length && IsZeroCopyRefusal(errno))
                {
                    AfXdpLog.ZeroCopyFallback(logger, options.Interface, queue, Marshal.GetPInvokeErrorMessage(errno));
                    socket.Dispose();
                    continue;
                }
                ThrowHelper.ThrowAfXdp(DescribeBindFailure(options, queue, attempts[i], errno), errno);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    // A driver without zero-copy support answers EOPNOTSUPP (or EINVAL on some older drivers);
    // those are the only answers that make a copy-mode retry worthwhile.
    private static bool IsZeroCopyRefusal(int errno) => errno is Interop.Errno.EOPNOTSUPP or Interop.Errno.EINVAL;

    private static string DescribeBindFailure(AfXdpOptions options, int queue, ushort mode, int errno)
    {
        string modeName = mode switch
        {
            XdpConstants.XdpZeroCopy => "zero-copy",
            XdpConstants.XdpSharedUmem => "shared-UMEM",
            _ => "copy",
        };
        string hint = errno switch
        {
            Interop.Errno.EBUSY => $" after retrying for {options.BindBusyTimeoutMs} ms: another AF_XDP socket (maybe a process of an earlier run that is still alive) holds this queue",
            Interop.Errno.EINVAL => ": the queue does not exist on this interface, or the UMEM geometry was refused",
            Interop.Errno.EOPNOTSUPP => ": the driver does not support this bind mode",
            _ => "",
        };
        return $"AF_XDP bind of {options.Interface} queue {queue} in {modeName} mode failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}){hint}.";
    }

    private void Setup(AfXdpOptions options, bool registerUmem)
    {
        int fd = Interop.Sys.Socket(XdpConstants.AfXdp, Interop.Sys.SOCK_RAW | Interop.Sys.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"socket(AF_XDP) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}); AF_XDP needs CAP_NET_RAW and a kernel built with CONFIG_XDP_SOCKETS.", errno);
        }
        _fd = new SafeFileDescriptor(fd);

        if (registerUmem)
        {
            XdpUmemReg reg = default; // zeroed: the kernel refuses unknown non-zero bytes (TxMetadataLen, padding)
            reg.Addr = (ulong)_umem.Region;
            reg.Len = _umem.Length;
            reg.ChunkSize = (uint)_umem.FrameSize;
            reg.Headroom = (uint)_umem.Headroom;
            SetOption(XdpConstants.XdpUmemReg, &reg, XdpUmemReg.Size, "XDP_UMEM_REG");
        }

        uint fillSize = (uint)options.EffectiveFillRingSize;
        uint completionSize = (uint)options.EffectiveCompletionRingSize;
        uint rxSize = (uint)options.EffectiveRxRingSize;
        uint txSize = (uint)options.EffectiveTxRingSize;
        SetOption(XdpConstants.XdpUmemFillRing, &fillSize, sizeof(uint), "XDP_UMEM_FILL_RING");
        SetOption(XdpConstants.XdpUmemCompletionRing, &completionSize, sizeof(uint), "XDP_UMEM_COMPLETION_RING");
        SetOption(XdpConstants.XdpRxRing, &rxSize, sizeof(uint), "XDP_RX_RING");
        SetOption(XdpConstants.XdpTxRing, &txSize, sizeof(uint), "XDP_TX_RING");

        XdpMmapOffsets offsets = default;
        uint length = XdpMmapOffsets.Size;
        if (Interop.Sys.GetSockOpt(Fd, XdpConstants.SolXdp, XdpConstants.XdpMmapOffsets, &offsets, &length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"getsockopt(XDP_MMAP_OFFSETS) failed: {Marshal.GetPInvokeErrorMessage(errno)}.", errno);
        }
        if (length < XdpMmapOffsets.Size)
        {
            ThrowHelper.ThrowAfXdp($"the kernel's XDP_MMAP_OFFSETS answer has {length} bytes, without ring flags; Flow needs Linux 5.4 or newer.");
        }

        _fillMap = MapRing(offsets.Fill, fillSize, sizeof(ulong), XdpConstants.UmemPgoffFillRing, "fill");
        Fill.Initialize(_fillMap.Address, offsets.Fill.Producer, offsets.Fill.Consumer, offsets.Fill.Flags, offsets.Fill.Desc, fillSize);
        _completionMap = MapRing(offsets.Completion, completionSize, sizeof(ulong), XdpConstants.UmemPgoffCompletionRing, "completion");
        Completion.Initialize(_completionMap.Address, offsets.Completion.Producer, offsets.Completion.Consumer, offsets.Completion.Flags, offsets.Completion.Desc, completionSize);
        _rxMap = MapRing(offsets.Rx, rxSize, XdpDesc.Size, XdpConstants.PgoffRxRing, "rx");
        Rx.Initialize(_rxMap.Address, offsets.Rx.Producer, offsets.Rx.Consumer, offsets.Rx.Flags, offsets.Rx.Desc, rxSize);
        _txMap = MapRing(offsets.Tx, txSize, XdpDesc.Size, XdpConstants.PgoffTxRing, "tx");
        Tx.Initialize(_txMap.Address, offsets.Tx.Producer, offsets.Tx.Consumer, offsets.Tx.Flags, offsets.Tx.Desc, txSize);

    }

    // The options DPDK's net_af_xdp sets for busy_budget; unlike DPDK, a refusal fails the open,
    // because the user asked for it explicitly.
    private void ConfigureBusyPoll(AfXdpOptions options)
    {
        if (options.BusyPollBudget <= 0)
        {
            return;
        }
        SetSocketOption(Interop.Sys.SO_PREFER_BUSY_POLL, 1, "SO_PREFER_BUSY_POLL");
        SetSocketOption(Interop.Sys.SO_BUSY_POLL, options.BusyPollMicroseconds, "SO_BUSY_POLL");
        SetSocketOption(Interop.Sys.SO_BUSY_POLL_BUDGET, options.BusyPollBudget, "SO_BUSY_POLL_BUDGET");
        BusyPoll = true;
    }

    private void SetSocketOption(int name, int value, string what)
    {
        if (Interop.Sys.SetSockOpt(Fd, Interop.Sys.SOL_SOCKET, name, &value, sizeof(int)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"setsockopt({what} = {value}) on queue {Queue} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}); preferred busy polling needs Linux 5.11+ and CAP_NET_ADMIN.", errno);
        }
    }

    private void SetOption(int name, void* value, int length, string what)
    {
        if (Interop.Sys.SetSockOpt(Fd, XdpConstants.SolXdp, name, value, (uint)length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"setsockopt({what}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }
    }

    private RingMap MapRing(in XdpRingOffset offset, uint entries, int entrySize, long pageOffset, string what)
    {
        nuint length = (nuint)(offset.Desc + (ulong)entries * (ulong)entrySize);
        void* map = Interop.Sys.MMap(null, length, Interop.Sys.PROT_READ | Interop.Sys.PROT_WRITE,
            Interop.Sys.MAP_SHARED | Interop.Sys.MAP_POPULATE, Fd, pageOffset);
        if (map == Interop.Sys.MAP_FAILED)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"mmap of the {what} ring failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }
        return new RingMap((byte*)map, length);
    }

    private int BindWithRetry(AfXdpOptions options, uint ifindex, ushort mode, XskSocket? shareWith, ILogger logger)
    {
        SockaddrXdp address = default; // zeroed: SharedUmemFd and padding must read 0
        address.Family = XdpConstants.AfXdp;
        address.Flags = shareWith is not null ? mode : (ushort)(mode | (options.NeedWakeup ? XdpConstants.XdpUseNeedWakeup : 0));
        address.Ifindex = ifindex;
        address.QueueId = (uint)Queue;
        address.SharedUmemFd = shareWith is not null ? (uint)shareWith.Fd : 0;

        long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * options.BindBusyTimeoutMs / 1000;
        bool warned = false;
        while (true)
        {
            if (Interop.Sys.Bind(Fd, &address, SockaddrXdp.Size) == 0)
            {
                break;
            }
            int errno = Marshal.GetLastPInvokeError();
            // EBUSY: the queue still has a socket — usually one of a run that just ended, whose
            // release the kernel finishes asynchronously (xsk_release defers the UMEM teardown).
            if (errno != Interop.Errno.EBUSY || Stopwatch.GetTimestamp() > deadline)
            {
                return errno;
            }
            if (!warned)
            {
                AfXdpLog.BindBusy(logger, options.Interface, Queue);
                warned = true;
            }
            Thread.Sleep(20); // setup path only: waits for the kernel, bounded by BindBusyTimeoutMs
        }

        uint flags = 0;
        uint length = sizeof(uint);
        IsZeroCopy = Interop.Sys.GetSockOpt(Fd, XdpConstants.SolXdp, XdpConstants.XdpOptions, &flags, &length) == 0
            && (flags & XdpConstants.XdpOptionsZeroCopy) != 0;
        NeedWakeup = shareWith?.NeedWakeup ?? options.NeedWakeup;
        return 0;
    }

    /// <summary>Lends up to <paramref name="count"/> frames to the kernel through the fill ring.</summary>
    public void PrimeFillRing(int count)
    {
        while (count > 0)
        {
            int done = Refill(1, Math.Min(count, 256), out bool starved);
            if (done == 0 || starved)
            {
                break;
            }
            count -= done;
        }
    }

    /// <summary>
    /// Moves up to <paramref name="max"/> free frames of the pool into the fill ring when at least
    /// <paramref name="min"/> slots are free (batching the pool call); returns how many frames
    /// went in, and sets <paramref name="starved"/> when the pool gave fewer than asked for.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Refill(int min, int max, out bool starved)
    {
        starved = false;
        uint free = Fill.FreeEntries((uint)min);
        if (free < (uint)min)
        {
            return 0;
        }
        int want = (int)Math.Min(free, (uint)max);
        int got = RefillSlow(want);
        starved = got < want;
        return got;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int RefillSlow(int want)
    {
        Span<Packet> frames = stackalloc Packet[256];
        int got = _umem.Pool.AllocateBulk(frames.Slice(0, Math.Min(want, frames.Length)));
        uint reserved = Fill.Reserve((uint)got, out uint index);
        Debug.Assert(reserved == (uint)got, "the fill ring had fewer free slots than it reported");
        byte* region = _umem.Region;
        for (int i = 0; i < got; i++)
        {
            ulong chunk = (ulong)(frames[i].Frame - region);
            _umem.Lent(chunk);
            Fill.Address(index + (uint)i) = chunk;
        }
        Fill.Submit();
        return got;
    }

    /// <summary>The kernel's XDP_STATISTICS for this socket.</summary>
    public XdpStatistics KernelStatistics()
    {
        XdpStatistics stats = default; // zeroed: older kernels fill only the first 24 bytes
        uint length = XdpStatistics.Size;
        if (Interop.Sys.GetSockOpt(Fd, XdpConstants.SolXdp, XdpConstants.XdpStatistics, &stats, &length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"getsockopt(XDP_STATISTICS) on queue {Queue} failed: {Marshal.GetPInvokeErrorMessage(errno)}.", errno);
        }
        return stats;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // Closing unbinds the socket and drops it from the XSKMAP; the kernel stops using the
        // rings and the UMEM (which stays pinned until its deferred release). The frames it
        // held go back to the pool when the port disposes the UMEM.
        _fd?.Dispose();
        _rxMap.Unmap();
        _txMap.Unmap();
        _fillMap.Unmap();
        _completionMap.Unmap();
    }

    private readonly struct RingMap(byte* address, nuint length)
    {
        public byte* Address { get; } = address;

        public void Unmap()
        {
            if (Address != null)
            {
                Interop.Sys.MUnmap(Address, length);
            }
        }
    }
}
