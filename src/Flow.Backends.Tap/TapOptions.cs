namespace Flow.Backends.Tap;

/// <summary>Options of <c>tap_rx</c> and <c>tap_tx</c>. Both stages with the same interface and queue share one fd.</summary>
public sealed record TapOptions : IPortQueueOptions
{
    /// <summary>
    /// Interface name (up to 15 characters); created. An interface of that name that already
    /// exists is refused (IFF_TUN_EXCL) unless this process holds it (more queues of its own
    /// multi-queue tap) or it is a persistent tap owned by this user.
    /// </summary>
    public string Interface { get; init; } = "";

    /// <summary>Open with IFF_MULTI_QUEUE: each distinct <see cref="Queue"/> is one more fd (one per worker).</summary>
    public bool MultiQueue { get; init; }

    /// <summary>Queue index when <see cref="MultiQueue"/> is on (each index is one open of the interface).</summary>
    public int Queue { get; init; }

    /// <summary>MTU to set; 0 leaves the kernel's (1500).</summary>
    public int Mtu { get; init; }

    /// <summary>MAC address to set (aa:bb:cc:dd:ee:ff); empty leaves the random one the kernel chose.</summary>
    public string Mac { get; init; } = "";

    /// <summary>Bring the interface up.</summary>
    public bool Up { get; init; } = true;

    /// <summary>Frames in the rx stage's pool.</summary>
    public int PoolFrames { get; init; } = 4096;

    /// <summary>
    /// The <see cref="PacketMeta.InputPort"/> received frames carry (a switch port's id, so a
    /// graph with several interfaces tells them apart). Unset: the queue index (0 unless
    /// <see cref="MultiQueue"/>).
    /// </summary>
    public ushort? InputPort { get; init; }

    /// <summary>Shard <paramref name="shard"/>'s stages open queue <paramref name="shard"/> of the multi-queue interface (the kernel spreads flows by hash).</summary>
    public object ForShard(int shard, int shards) => this with { MultiQueue = true, Queue = shard, InputPort = InputPort ?? (ushort)(MultiQueue ? Queue : 0) };
}
