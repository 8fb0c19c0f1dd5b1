namespace Flow.Backends.AfPacket;

/// <summary>Options of <c>af_packet_rx</c> and <c>af_packet_tx</c>.</summary>
public sealed record AfPacketOptions : IPortQueueOptions
{
    /// <summary>Interface to bind to (for example eth0 or a veth end).</summary>
    public string Interface { get; init; } = "";

    /// <summary>Receive every frame on the wire, not only those addressed to the interface (rx).</summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>
    /// PACKET_FANOUT group id (0..65535) to spread the interface over several rx stages, one per
    /// worker, each with the same group; -1 = no fanout.
    /// </summary>
    public int FanoutGroup { get; init; } = -1;

    public AfPacketFanoutMode FanoutMode { get; init; } = AfPacketFanoutMode.Hash;

    /// <summary>Bytes per TPACKET_V3 receive block (a power of two, multiple of the page size).</summary>
    public int BlockSize { get; init; } = 1 << 18;

    /// <summary>Blocks in the receive ring.</summary>
    public int BlockCount { get; init; } = 32;

    /// <summary>Milliseconds after which the kernel hands over a block that is not full (TPACKET_V3 retire timeout).</summary>
    public int BlockTimeoutMs { get; init; } = 1;

    /// <summary>Put the 802.1Q tag the kernel took out (PACKET_AUXDATA values) back into received frames.</summary>
    public bool RestoreVlan { get; init; } = true;

    /// <summary>Do not receive frames this host sends on the interface (PACKET_IGNORE_OUTGOING).</summary>
    public bool IgnoreOutgoing { get; init; } = true;

    /// <summary>Frames in the rx stage's packet pool.</summary>
    public int PoolFrames { get; init; } = 8192;

    /// <summary>Slots in the TPACKET_V2 transmit ring (tx).</summary>
    public int TxFrames { get; init; } = 1024;

    /// <summary>Bytes per transmit slot, header included (tx; frames longer than this minus 32 are dropped as too_big).</summary>
    public int TxFrameSize { get; init; } = 2048;

    /// <summary>Hand frames straight to the driver, skipping the qdisc (PACKET_QDISC_BYPASS; tx).</summary>
    public bool QdiscBypass { get; init; }

    /// <summary>
    /// The <see cref="PacketMeta.InputPort"/> received frames carry (a switch port's id, so a
    /// graph with several interfaces tells them apart). Unset: 0, the queue index of a socket
    /// (AF_PACKET has no queues; a fanout group spreads one interface over its sockets).
    /// </summary>
    public ushort? InputPort { get; init; }

    /// <summary>
    /// Every shard's rx socket joins one fanout group (<see cref="FanoutGroup"/>, or one derived
    /// from this process and the interface name when unset), which spreads the interface's flows
    /// over them by <see cref="FanoutMode"/>; each shard's tx has its own socket.
    /// </summary>
    public object ForShard(int shard, int shards) => this with
    {
        FanoutGroup = FanoutGroup >= 0 ? FanoutGroup : DerivedFanoutGroup(Interface),
        InputPort = InputPort ?? 0,
    };

    /// <summary>A group id the shards of one interface share and other interfaces and processes almost never do (ids are per network namespace).</summary>
    private static int DerivedFanoutGroup(string interfaceName)
    {
        uint hash = 2166136261;
        foreach (char c in interfaceName)
        {
            hash = (hash ^ c) * 16777619;
        }
        return (int)((hash ^ (uint)Environment.ProcessId * 2654435761) & 0xFFFF);
    }
}
