namespace Flow;

/// <summary>
/// A stage whose copies in a sharded graph share one logical state — a table every copy reads
/// and one copy writes — instead of each keeping its own. The graph file loader makes shard 0's
/// copy as it makes any stage and asks that copy for the others; in code, make shard 0's copy
/// and call <see cref="CopyForShard"/> on it for the rest (<see cref="ShardScope"/>), before
/// the graph starts.
/// </summary>
public interface IShardedStage
{
    /// <summary>
    /// The output a copy other than shard 0's may have for what only the writer can handle (a
    /// packet whose neighbour is not resolved yet, say): the graph file loader connects each
    /// copy's port of this name to shard 0's copy, a ring between their workers, and so does
    /// <see cref="GraphBuilder.Shards"/> for the copies its shards add.
    /// </summary>
    const string WriterPort = "to_writer";

    /// <summary>
    /// The edge from <paramref name="copyName"/>'s <see cref="WriterPort"/> to shard 0's copy of
    /// the same stage, when <paramref name="copy"/> is another shard's copy with that port; else null.
    /// </summary>
    static (string From, string To)? WriterEdge(string copyName, Stage copy)
    {
        ArgumentNullException.ThrowIfNull(copy);
        (string name, int? shard) = ShardNames.Split(copyName);
        return shard > 0 && copy.Descriptor.FindPort(WriterPort) is not null ? ($"{copyName}:{WriterPort}", ShardNames.Of(name, 0)) : null;
    }

    /// <summary>
    /// A new copy for shard <paramref name="shard"/> (1 to <paramref name="count"/> − 1) of a
    /// graph with <paramref name="count"/> shards, sharing this copy's state; this copy stays
    /// the state's one writer.
    /// </summary>
    Stage CopyForShard(int shard, int count);
}
