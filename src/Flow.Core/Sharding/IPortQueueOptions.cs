namespace Flow;

/// <summary>
/// Options of a port stage whose device has queues (AF_XDP and DPDK queues, an AF_PACKET fanout
/// group, memif queue pairs, TAP multi-queue). In a sharded graph every shard gets its own
/// copy of the port's stages, each made from <see cref="ForShard"/>'s options: the same device,
/// the shard's own queue. A port stage whose options do not implement it cannot be sharded.
/// </summary>
public interface IPortQueueOptions
{
    /// <summary>
    /// These options for shard <paramref name="shard"/> of <paramref name="shards"/>: the same
    /// device and settings, queue <paramref name="shard"/> of <paramref name="shards"/>. Packets
    /// received on any shard keep the port's input-port id.
    /// </summary>
    object ForShard(int shard, int shards);
}
