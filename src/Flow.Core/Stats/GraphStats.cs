namespace Flow;

/// <summary>A snapshot of every stage, ring and worker of a graph.</summary>
public sealed record GraphStats(IReadOnlyList<StageStats> Stages, IReadOnlyList<RingStats> Rings, IReadOnlyList<WorkerStats> Workers)
{
    public StageStats Stage(string name) =>
        Stages.FirstOrDefault(s => s.Name == name) ?? throw new KeyNotFoundException($"no stage named '{name}'");

    /// <summary>True when every stage and ring satisfies its conservation sum.</summary>
    public bool IsBalanced => Stages.All(s => s.IsBalanced) && Rings.All(r => r.IsBalanced);
}
