namespace Flow;

/// <summary>
/// Options of a stage type marked <see cref="SingleShardAttribute"/> whose one writer matters only
/// in some configurations (a NAT that is switched off keeps no table): a graph file with shards
/// runs such a stage once only when <see cref="RunsOnce"/> is true, and copies it into every
/// shard otherwise.
/// </summary>
public interface IShardPlacementOptions
{
    /// <summary>Whether a stage made from these options must run once, on shard 0's worker.</summary>
    bool RunsOnce { get; }
}
