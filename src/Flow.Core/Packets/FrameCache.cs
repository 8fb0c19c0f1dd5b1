namespace Flow;

/// <summary>
/// A worker thread's private stack of free frame indices for one pool (DPDK's per-lcore
/// mempool cache). Allocation and free touch only this stack; the pool's shared ring is
/// visited once per half-cache of frames. LIFO order keeps recently freed, cache-hot frames
/// in use.
/// </summary>
internal sealed class FrameCache
{
    /// <summary>Indices a cache holds at most; it refills and spills half of this at a time.</summary>
    public const int Capacity = 512;

    public FrameCache(PacketPool pool)
    {
        Pool = pool;
    }

    public PacketPool Pool { get; }

    public uint[] Items { get; } = new uint[Capacity];

    /// <summary>Written by the owning worker; read by other threads for <see cref="PacketPool.Available"/>.</summary>
    public int Count;
}
