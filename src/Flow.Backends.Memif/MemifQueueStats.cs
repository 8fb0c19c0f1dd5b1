namespace Flow.Backends.Memif;

/// <summary>Counters of one memif queue (a snapshot; each counter is monotonic).</summary>
/// <param name="Packets">Packets received (rx) or handed to the ring (tx).</param>
/// <param name="Bytes">Bytes of those packets.</param>
/// <param name="RingFullDrops">Tx: packets dropped because the ring had no free slot.</param>
/// <param name="InvalidDescriptors">Rx: descriptors from the peer that failed validation (dropped).</param>
/// <param name="PoolEmptyDrops">Packets lost because no frame was free to receive or copy into.</param>
/// <param name="Reconnects">Connections of the interface after the first (peer restarts).</param>
/// <param name="Bursts">Non-empty bursts (Packets / Bursts = average burst fill).</param>
/// <param name="Copies">Packets whose data was copied: tx, frames from outside the shared pool
/// (see <see cref="MemifOptions.BufferGroup"/>); rx, every packet in server role and chained
/// frames in client role. The rest moved without a copy.</param>
public readonly record struct MemifQueueStats(
    long Packets,
    long Bytes,
    long RingFullDrops,
    long InvalidDescriptors,
    long PoolEmptyDrops,
    long Reconnects,
    long Bursts,
    long Copies);
