namespace Flow.Backends.Dpdk;

/// <summary>
/// One DPDK ethdev port: the device probed from its device string, configured with its queues,
/// started, and the mempool its rx queues receive into — wrapped as a Flow <see cref="PacketPool"/>,
/// so a received mbuf is a Flow packet without a copy (docs/adr/008). Shared by the rx and tx
/// stages of one device; disposing stops and closes the port, unplugs the device and frees the
/// pool.
/// </summary>
public sealed unsafe class DpdkPort : IDisposable
{
    /// <summary>RTE_MBUF_DEFAULT_BUF_SIZE: 2048 bytes of data after the 128-byte headroom.</summary>
    private const int DataRoom = 2048 + Mbuf.Headroom;

    private static int s_pools;
    private readonly PacketPool _pool;
    private readonly nint _mempool;
    private readonly nint _firstMbuf;
    private readonly uint _stride;
    private readonly uint _bufOffset;
    private int _disposed;

    private DpdkPort(DpdkOptions options, nint mempool, in FlowDpdkPoolGeometry geometry, PacketPool pool, ushort portId, in FlowDpdkPortInfo info)
    {
        Device = options.ResolvedDevice;
        Queues = options.Queues;
        _mempool = mempool;
        _firstMbuf = (nint)geometry.FirstMbuf;
        _stride = geometry.Stride;
        MbufIndex = new MbufIndex((nint)geometry.FirstMbuf, geometry.Stride);
        _bufOffset = geometry.BufOffset;
        _pool = pool;
        PortId = portId;
        FlowDpdkPortInfo copy = info;
        Driver = DpdkEal.Utf8(copy.Driver);
        MacAddress = string.Join(':', ((ReadOnlySpan<byte>)copy.Mac).ToArray().Select(b => b.ToString("x2", null)));
        RxDescriptors = info.RxDescriptors;
        TxDescriptors = info.TxDescriptors;
        RssHashFunctions = info.RssHashFunctions;
        Mtu = info.Mtu;
    }

    /// <summary>The device string the port was probed with.</summary>
    public string Device { get; }

    /// <summary>DPDK's port id.</summary>
    public ushort PortId { get; }

    /// <summary>Rx and tx queues.</summary>
    public int Queues { get; }

    /// <summary>The port's mbufs as a Flow pool: what its rx stages hand on, and what its tx stages send without a copy.</summary>
    public PacketPool Pool => _pool;

    /// <summary>The driver's name (net_memif, net_af_packet, ...).</summary>
    public string Driver { get; }

    public string MacAddress { get; }

    /// <summary>Descriptors per rx queue after the driver's adjustment.</summary>
    public int RxDescriptors { get; }

    /// <summary>Descriptors per tx queue after the driver's adjustment.</summary>
    public int TxDescriptors { get; }

    /// <summary>RSS hash functions in use (RTE_ETH_RSS_* bits); 0 without RSS.</summary>
    public ulong RssHashFunctions { get; }

    /// <summary>The MTU the driver reports (0 when it does not say).</summary>
    public int Mtu { get; }

    /// <summary>False once the port is disposed.</summary>
    public bool IsOpen => Volatile.Read(ref _disposed) == 0;

    internal nint Mempool => _mempool;

    internal nint FirstMbuf => _firstMbuf;

    internal uint Stride => _stride;

    /// <summary>Maps an mbuf of this port's mempool to its index (its Flow frame).</summary>
    internal MbufIndex MbufIndex { get; }

    /// <summary>The link now (rte_eth_link_get_nowait).</summary>
    public DpdkLink Link
    {
        get
        {
            FlowDpdkLink link;
            int rc = Interop.FlowDpdk.PortLink(PortId, &link);
            return rc != 0 ? default : new DpdkLink(link.Up != 0, link.SpeedMbps, link.FullDuplex != 0);
        }
    }

    /// <summary>The port's totals now (rte_eth_stats_get).</summary>
    public DpdkPortStatistics Statistics
    {
        get
        {
            FlowDpdkPortStats s = default;
            Interop.FlowDpdk.PortStats(PortId, &s);
            return new DpdkPortStatistics((long)s.InPackets, (long)s.OutPackets, (long)s.InBytes, (long)s.OutBytes,
                (long)s.InMissed, (long)s.InErrors, (long)s.OutErrors, (long)s.RxNoMbuf);
        }
    }

    /// <summary>The xstats as Flow's device counters (<see cref="IDeviceCounters"/>): none once the port is closed.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> ReadDeviceCounters() => IsOpen
        ? [.. ReadExtendedStatistics().Select(x => new KeyValuePair<string, long>(x.Key, (long)x.Value))]
        : [];

    /// <summary>The driver's extended statistics by name (rte_eth_xstats_get).</summary>
    public IReadOnlyList<KeyValuePair<string, ulong>> ReadExtendedStatistics()
    {
        const int NameSize = 64;
        int room = 64;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            byte[] names = new byte[room * NameSize];
            ulong[] values = new ulong[room];
            int n;
            fixed (byte* namesPointer = names)
            fixed (ulong* valuesPointer = values)
            {
                n = Interop.FlowDpdk.PortXstats(PortId, namesPointer, valuesPointer, (uint)room);
            }
            if (n < 0)
            {
                return [];
            }
            if (n > room)
            {
                room = n;
                continue;
            }
            var result = new List<KeyValuePair<string, ulong>>(n);
            for (int i = 0; i < n; i++)
            {
                result.Add(new(DpdkEal.Utf8(names.AsSpan(i * NameSize, NameSize)), values[i]));
            }
            return result;
        }
        return [];
    }

    /// <summary>The mbuf of a packet of <see cref="Pool"/>.</summary>
    internal nint MbufOf(Packet packet) => _firstMbuf + (nint)((nuint)_pool.IndexOf(packet) * _stride);

    /// <summary>
    /// Starts EAL if needed, makes the mempool, probes the device and starts the port. The caller
    /// owns the port; stages share ports through their device string instead (<c>dpdk_rx</c>, <c>dpdk_tx</c>).
    /// </summary>
    /// <exception cref="DpdkException">EAL does not start, the device does not probe, or the port does not start.</exception>
    public static DpdkPort Open(DpdkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        DpdkEal.EnsureInitialized();
        string device = options.ResolvedDevice;
        string name = $"flow{Interlocked.Increment(ref s_pools)}";
        nint mempool = Interop.FlowDpdk.PoolCreate(name, (uint)options.PoolMbufs, (uint)options.PoolCache, DataRoom, socket: -1);
        if (mempool == 0)
        {
            int error = Interop.FlowDpdk.Errno();
            throw new DpdkException($"rte_pktmbuf_pool_create of {options.PoolMbufs} mbufs for '{device}' failed: {DpdkEal.ErrorText(error)} " +
                "(too little EAL memory? raise -m in the EAL arguments)", error);
        }
        FlowDpdkPoolGeometry geometry;
        if (Interop.FlowDpdk.PoolGeometry(mempool, &geometry) != 0)
        {
            Interop.FlowDpdk.PoolFree(mempool);
            throw new DpdkException($"the mempool of '{device}' is not one evenly spaced run of mbufs; Flow indexes frames by position");
        }
        PacketPool pool = PacketPool.WrapExternal((byte*)geometry.FirstMbuf + geometry.BufOffset, (int)geometry.Count, (int)geometry.Stride,
            (int)geometry.BufLength, Mbuf.Headroom, $"dpdk {device}", new MempoolFrames(mempool, (nint)geometry.FirstMbuf, geometry.Stride),
            () => Interop.FlowDpdk.PoolFree(mempool));
        ushort portId;
        int rc = Interop.FlowDpdk.PortProbe(device, &portId);
        if (rc != 0)
        {
            pool.Dispose();
            string why = rc == -17 ? "a device of that name is already probed in this process (each device is one Flow port; share it by using the same Device string)"
                : rc is -1 or -13 && Interop.Sys.GetEUid() != 0
                    ? $"{DpdkEal.ErrorText(-rc)} (errno {-rc}): not running as root, and the device needs privileges " +
                        "(net_af_packet and net_tap: CAP_NET_RAW and CAP_NET_ADMIN; a PCI device: root and VFIO); run as root or grant them"
                : $"{DpdkEal.ErrorText(-rc)} (errno {-rc}); check the driver name and its arguments (DPDK logs the reason above)";
            throw new DpdkException($"DPDK device '{device}' does not probe: {why}", -rc);
        }
        FlowDpdkPortConfig config = default;
        config.RxQueues = (ushort)options.Queues;
        config.TxQueues = (ushort)options.Queues;
        config.RxDescriptors = (ushort)options.RxDescriptors;
        config.TxDescriptors = (ushort)options.TxDescriptors;
        config.Mtu = (ushort)options.Mtu;
        config.Promiscuous = options.Promiscuous switch { null => -1, true => 1, false => 0 };
        config.Rss = options.Rss ? (byte)1 : (byte)0;
        config.Pool = mempool;
        FlowDpdkPortInfo info;
        rc = Interop.FlowDpdk.PortStart(portId, &config, &info);
        if (rc != 0)
        {
            Interop.FlowDpdk.PortClose(portId);
            pool.Dispose();
            throw new DpdkException($"DPDK port '{device}' (port {portId}, {DpdkEal.Utf8(info.Driver)}) does not start with {options.Queues} queue(s) " +
                $"(the driver allows {info.MaxRxQueues} rx, {info.MaxTxQueues} tx): {DpdkEal.ErrorText(-rc)} (errno {-rc})", -rc);
        }
        DpdkEal.PortOpened();
        var opened = new DpdkPort(options, mempool, geometry, pool, portId, info);
        DpdkPools.Add(opened);
        DpdkMetrics.Touch();
        return opened;
    }

    private static void Validate(DpdkOptions options)
    {
        if (options.ResolvedDevice.Length == 0)
        {
            ThrowHelper.ThrowArgument(nameof(options), "dpdk stages need a Device (net_ring0, net_memif0,socket=..., a PCI address) or an Interface for net_af_packet");
        }
        if (options.Queues is < 1 or > 1024)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"Queues {options.Queues} must be 1 to 1024");
        }
        if (options.Queue < 0 || options.Queue >= options.Queues)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"Queue {options.Queue} must be 0 to Queues − 1 ({options.Queues - 1})");
        }
        if (options.RxDescriptors is < 1 or > ushort.MaxValue || options.TxDescriptors is < 1 or > ushort.MaxValue)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"descriptor counts ({options.RxDescriptors} rx, {options.TxDescriptors} tx) must be 1 to 65535");
        }
        if (options.PoolMbufs < 2 || options.PoolCache < 0 || options.PoolCache > 512 || options.PoolCache > options.PoolMbufs / 2)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"PoolMbufs {options.PoolMbufs} and PoolCache {options.PoolCache}: the cache must be 0 to 512 and at most half the pool");
        }
        if (options.Mtu is < 0 or > 2048 - 18)
        {
            ThrowHelper.ThrowArgument(nameof(options), $"MTU {options.Mtu} must be 0 (the driver's) to {2048 - 18}: frames are one 2048-byte mbuf (no scatter)");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        DpdkPools.Remove(this);
        // Stop first: the driver frees the mbufs its rx rings hold, then the pool can go.
        Interop.FlowDpdk.PortClose(PortId);
        _pool.Dispose();
        DpdkEal.PortClosed();
    }

    public override string ToString() => $"DPDK port {PortId} '{Device}' ({Driver}, {Queues} queue(s))";
}
