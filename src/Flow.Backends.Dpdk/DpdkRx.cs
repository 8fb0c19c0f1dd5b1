using System.Runtime.CompilerServices;

namespace Flow.Backends.Dpdk;

/// <summary>
/// Receives frames from one rx queue of a DPDK port (rte_eth_rx_burst through the shim). The
/// mbufs are the frames of the port's <see cref="DpdkPort.Pool"/>, so each received mbuf leaves
/// as a Flow packet without a copy: its metadata is written from the mbuf (data offset, length,
/// RSS hash, stripped VLAN tag), in the pool's private array (docs/adr/008).
/// Output <c>out</c>: received Ethernet frames.
/// Drop reasons: <c>chained</c> (a frame in more than one mbuf: longer than the 2048-byte data
/// room; Flow does not enable scatter), <c>foreign_mbuf</c> (an mbuf of a mempool no open Flow
/// port owns, freed), <c>missed</c> (the device had no free descriptor:
/// rte_eth_stats imissed, a port total read every 100 ms and at stop by the stage of queue 0).
/// A driver that finds the mempool empty leaves the frame where it is and counts rx_nombuf
/// (<see cref="NoMbufEvents"/>): a wait, not a drop. Drivers that pass mbufs along (net_ring
/// between two ports, memif zero-copy) may hand over another port's mbufs: those leave as
/// packets of that port's pool.
/// </summary>
/// <remarks>
/// The worker running the stage registers as a DPDK thread at start (mempool caches need an
/// lcore id) and unregisters at stop. The stages of one device share its port: give each a
/// different <see cref="DpdkOptions.Queue"/>, one per worker.
/// </remarks>
[Stage("dpdk_rx", "Receives frames from a DPDK port's rx queue; mbufs are Flow packets, no copy.")]
public sealed unsafe class DpdkRx : SourceStage<DpdkRx.Output, DpdkRx.Reason>, IDeviceCounters, IDisposable
{
    private const int MaxBurst = 256;
    private const long StatisticsIntervalNs = 100_000_000;

    private readonly DpdkPort _port;
    private readonly string? _sharedKey;
    private readonly PacketPool _pool;
    private readonly ushort _portId;
    private readonly ushort _queue;
    private readonly ushort _inputPort;
    private readonly nint _mempool;
    private readonly MbufIndex _mbufIndex;
    private readonly bool _readsPortStatistics;
    private long _received;
    private long _lastStatisticsNs;
    private long _missed;
    private long _noMbuf;
    private bool _registered;
    private int _disposed;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "received frames")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("the frame spans several mbufs (longer than the data room; scatter is off)", Severity.Warning)]
        Chained,
        [DropReason("the device had no free rx descriptor (imissed)", Severity.Warning)]
        Missed,
        [DropReason("the driver handed over an mbuf of a mempool no open Flow port owns", Severity.Error)]
        ForeignMbuf,
    }

    /// <summary>Opens (or shares with the other stages of its device) the port in <paramref name="options"/>.</summary>
    public DpdkRx(DpdkOptions options)
        : this(DpdkPorts.Acquire(options, out string key), options, key)
    {
    }

    /// <summary>Receives from a port the caller opened and keeps owning.</summary>
    public DpdkRx(DpdkPort port, DpdkOptions options)
        : this(port, options, sharedKey: null)
    {
    }

    private DpdkRx(DpdkPort port, DpdkOptions options, string? sharedKey)
    {
        _port = port;
        _sharedKey = sharedKey;
        if (options.Queue < 0 || options.Queue >= port.Queues)
        {
            Release();
            ThrowHelper.ThrowArgument(nameof(options), $"Queue {options.Queue} is not one of the {port.Queues} queue(s) of {port}");
        }
        _pool = port.Pool;
        _portId = port.PortId;
        _queue = (ushort)options.Queue;
        _inputPort = options.InputPort ?? (ushort)options.Queue;
        _mempool = port.Mempool;
        _mbufIndex = port.MbufIndex;
        _readsPortStatistics = options.Queue == 0;
    }

    public DpdkPort Port => _port;

    /// <summary>The DPDK device string: rx and tx stages of one port read the same xstats.</summary>
    public string CounterDevice => _port.Device;

    public IReadOnlyList<KeyValuePair<string, long>> ReadDeviceCounters() => _port.ReadDeviceCounters();

    public PacketPool Pool => _pool;

    public int Queue => _queue;

    /// <summary>Frames handed on.</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Times the driver found the port's mempool empty (rx_nombuf as of the last read; queue 0's stage only).</summary>
    public long NoMbufEvents => Volatile.Read(ref _noMbuf);

    public override void OnStart()
    {
        DpdkEal.RegisterThread();
        _registered = true;
    }

    public override void OnStop()
    {
        ReadPortStatistics();
        if (_registered)
        {
            _registered = false;
            DpdkEal.UnregisterThread();
        }
    }

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        int want = Math.Min(packets.Length, MaxBurst);
        nint* mbufs = stackalloc nint[MaxBurst];
        int got = Interop.FlowDpdk.Rx(_portId, _queue, mbufs, (ushort)want);
        PacketPool pool = _pool;
        MbufIndex index = _mbufIndex;
        ushort inputPort = _inputPort;
        ulong rssFlag = Mbuf.RxRssHash;
        ulong vlanFlag = Mbuf.RxVlanStripped;
        int n = 0;
        for (int i = 0; i < got; i++)
        {
            nint mbuf = mbufs[i];
            Packet packet;
            if (Mbuf.Field<nint>(mbuf, Mbuf.Pool) == _mempool)
            {
                packet = pool.PacketAt(index.Of(mbuf));
                pool.ResetReceived(packet, Mbuf.Field<ushort>(mbuf, Mbuf.DataLen), inputPort, PacketFlags.L2Valid);
            }
            else if (!TryAdoptForeign(mbuf, out packet))
            {
                continue;
            }
            ulong flags = Mbuf.Field<ulong>(mbuf, Mbuf.OlFlags);
            ref PacketMeta meta = ref packet.Meta;
            meta.DataOffset = Mbuf.Field<ushort>(mbuf, Mbuf.DataOff);
            if ((flags & rssFlag) != 0)
            {
                meta.Hash = Mbuf.Field<uint>(mbuf, Mbuf.Hash);
            }
            if ((flags & vlanFlag) != 0)
            {
                meta.VlanTci = Mbuf.Field<ushort>(mbuf, Mbuf.VlanTci);
                meta.Flags |= PacketFlags.VlanStripped;
            }
            packets[n] = packet;
            nexts[n] = Mbuf.Field<ushort>(mbuf, Mbuf.NbSegs) == 1 ? To(Output.Out) : Drop(Reason.Chained);
            n++;
        }
        Volatile.Write(ref _received, _received + n);
        return n;
    }

    /// <summary>
    /// An mbuf of another mempool: a packet of the DPDK port that owns it, or freed and counted
    /// when no open port does (its metadata would have nowhere to live).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryAdoptForeign(nint mbuf, out Packet packet)
    {
        DpdkPort? owner = DpdkPools.ByMempool(Mbuf.Field<nint>(mbuf, Mbuf.Pool));
        // Past the pool's last mbuf the index is past its frame count: checked below.
        uint index = owner is null || mbuf < owner.FirstMbuf ? uint.MaxValue : owner.MbufIndex.Of(mbuf);
        if (owner is null || index >= (uint)owner.Pool.FrameCount)
        {
            Interop.FlowDpdk.FreeBulk(&mbuf, 1);
            CountDrop(Reason.ForeignMbuf);
            packet = default;
            return false;
        }
        packet = owner.Pool.PacketAt(index);
        owner.Pool.ResetReceived(packet, Mbuf.Field<ushort>(mbuf, Mbuf.DataLen), _inputPort, PacketFlags.L2Valid);
        return true;
    }

    public override void Tick(long nowNanoseconds)
    {
        if (_readsPortStatistics && nowNanoseconds - _lastStatisticsNs >= StatisticsIntervalNs)
        {
            _lastStatisticsNs = nowNanoseconds;
            ReadPortStatistics();
        }
    }

    /// <summary>Turns the growth of the port's imissed into drops and keeps rx_nombuf (queue 0's stage only: they are port totals).</summary>
    private void ReadPortStatistics()
    {
        if (!_readsPortStatistics || !_port.IsOpen)
        {
            return;
        }
        DpdkPortStatistics statistics = _port.Statistics;
        long missed = statistics.Missed - _missed;
        _missed = statistics.Missed;
        Volatile.Write(ref _noMbuf, statistics.NoMbuf);
        if (missed > 0)
        {
            CountDrop(Reason.Missed, (int)Math.Min(missed, int.MaxValue));
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Release();
    }

    private void Release()
    {
        if (_sharedKey is not null)
        {
            DpdkPorts.Release(_sharedKey, _port);
        }
    }
}
