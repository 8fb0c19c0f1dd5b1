namespace Flow;

/// <summary>
/// Marks a stage type that cannot be copied into every shard of a sharded graph, with the
/// reason (for example, state shared with another stage that only one worker may write). A
/// graph file with <c>shards</c> above 1 makes it once, on shard 0's worker: every shard feeds
/// it through a ring, and it sends on to shard 0's copies (docs/graph-format.md, "Shards").
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SingleShardAttribute : Attribute
{
    public SingleShardAttribute(string reason)
    {
        Reason = reason;
    }

    /// <summary>Why the stage cannot be sharded, as a clause: "its neighbour table is written by one worker".</summary>
    public string Reason { get; }
}
