namespace Flow.Backends.Dpdk;

/// <summary>
/// Options of <c>dpdk_rx</c> and <c>dpdk_tx</c>. The stages of one <see cref="Device"/> share
/// one DPDK port (opened by the first, closed with the last) and must agree on everything but
/// <see cref="Queue"/> and <see cref="InputPort"/>.
/// </summary>
public sealed record DpdkOptions : IPortQueueOptions
{
    /// <summary>
    /// DPDK device arguments, probed with <c>rte_dev_probe</c>: <c>net_memif0,role=client,socket=/run/x.sock</c>,
    /// <c>net_af_packet0,iface=veth1</c>, <c>net_tap0,iface=dtap0</c>, <c>net_ring0</c>,
    /// <c>net_null0</c>, or a PCI address. Empty: <c>net_af_packet_&lt;interface&gt;,iface=&lt;interface&gt;</c>
    /// from <see cref="Interface"/>.
    /// </summary>
    public string Device { get; init; } = "";

    /// <summary>The Linux interface of an af_packet device, when <see cref="Device"/> is empty (the key every backend shares, ADR 006).</summary>
    public string Interface { get; init; } = "";

    /// <summary>Rx and tx queues of the port: one per worker.</summary>
    public int Queues { get; init; } = 1;

    /// <summary>This stage's queue (0 to <see cref="Queues"/> − 1).</summary>
    public int Queue { get; init; }

    /// <summary>Spread flows over the rx queues with the device's RSS (where it has RSS; af_packet spreads by PACKET_FANOUT hash).</summary>
    public bool Rss { get; init; } = true;

    /// <summary>Receive descriptors per queue (the driver may adjust).</summary>
    public int RxDescriptors { get; init; } = 1024;

    /// <summary>Transmit descriptors per queue (the driver may adjust).</summary>
    public int TxDescriptors { get; init; } = 1024;

    /// <summary>Promiscuous mode; null leaves the driver's.</summary>
    public bool? Promiscuous { get; init; } = true;

    /// <summary>MTU to set; 0 leaves the driver's.</summary>
    public int Mtu { get; init; }

    /// <summary>
    /// mbufs in the port's mempool (2^n − 1 is the size DPDK's ring uses best). Drivers that fill
    /// their rx rings up front (net_tap, NICs) hold <see cref="Queues"/> × <see cref="RxDescriptors"/>
    /// of them before the first frame: the pool must be larger than that, plus what the graph
    /// holds and the per-thread caches.
    /// </summary>
    public int PoolMbufs { get; init; } = 8191;

    /// <summary>mbufs each registered thread caches (rte_mempool cache).</summary>
    public int PoolCache { get; init; } = 256;

    /// <summary>The <see cref="PacketMeta.InputPort"/> received frames carry; unset: the queue.</summary>
    public ushort? InputPort { get; init; }

    /// <summary>The device string this resolves to.</summary>
    public string ResolvedDevice => Device.Length != 0 ? Device
        : Interface.Length != 0 ? $"net_af_packet_{Interface},iface={Interface}" : "";

    /// <summary>Shard <paramref name="shard"/>'s stages serve queue <paramref name="shard"/> of <paramref name="shards"/> (RSS, or af_packet's fanout, spreads flows).</summary>
    public object ForShard(int shard, int shards) => this with { Queue = shard, Queues = shards, InputPort = InputPort ?? (ushort)Queue };
}
