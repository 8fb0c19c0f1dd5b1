namespace Flow.Hosting.Internal;

/// <summary>
/// How a load relates to the graph it replaces: the stages of the running version, by their
/// name in the file (to keep those whose type and config did not change), and what this load
/// made (for the next reload). A first load has no running graph and keeps nothing.
/// </summary>
internal sealed class ReloadContext(FlowGraph? running, IReadOnlyDictionary<string, LoadedStage> previous)
{
    public FlowGraph? Running { get; } = running;

    public IReadOnlyDictionary<string, LoadedStage> Previous { get; } = previous;

    /// <summary>The stages this load made or kept, by their name in the file.</summary>
    public Dictionary<string, LoadedStage> Loaded { get; } = new(StringComparer.Ordinal);

    /// <summary>Kept stages to reconfigure live, by their name in the graph (a shard's copy has its own), with their new options.</summary>
    public Dictionary<string, object> Reconfigure { get; } = new(StringComparer.Ordinal);

    /// <summary>Instances of the running graph this load reuses: never disposed by a load that fails.</summary>
    public HashSet<Stage> Kept { get; } = new(ReferenceEqualityComparer.Instance);
}

/// <summary>A stage entry of a loaded file: its type, its config as canonical JSON, and the instances made from it (one per shard).</summary>
internal sealed record LoadedStage(string TypeName, string Config, bool OneCopy, IReadOnlyList<Stage> Instances);
