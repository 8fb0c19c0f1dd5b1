namespace Flow;

/// <summary>A snapshot of every stage, ring and worker of a graph.</summary>
public sealed record GraphStats(IReadOnlyList<StageStats> Stages, IReadOnlyList<RingStats> Rings, IReadOnlyList<WorkerStats> Workers)
{
    public StageStats Stage(string name) =>
        Stages.FirstOrDefault(s => s.Name == name) ?? throw new KeyNotFoundException($"no stage named '{name}'");

    /// <summary>
    /// The stage <paramref name="name"/> as one: its own counters in an unsharded graph, the sum
    /// of every shard's copy (<see cref="ShardNames"/>) in a sharded one. Cost per packet is the
    /// mean of the copies that have one, weighted by the packets each took; null when none has.
    /// </summary>
    public StageStats Summed(string name)
    {
        var copies = Stages.Where(s => ShardNames.Matches(s.Name, name)).ToList();
        if (copies.Count == 0)
        {
            throw new KeyNotFoundException($"no stage named '{name}'");
        }
        if (copies.Count == 1)
        {
            return copies[0] with { Name = name };
        }
        long packets = copies.Sum(s => s.In);
        var timed = copies.Where(s => s.NanosecondsPerPacket is not null && s.In > 0).ToList();
        long timedPackets = timed.Sum(s => s.In);
        double? nanoseconds = timedPackets == 0 ? null : timed.Sum(s => s.NanosecondsPerPacket!.Value * s.In) / timedPackets;
        var outs = copies.SelectMany(s => s.Out).GroupBy(p => p.Port).Select(g => new PortCount(g.Key, g.Sum(p => p.Packets))).ToList();
        var drops = copies.SelectMany(s => s.Drops).GroupBy(d => d.Reason).Select(g => g.First() with { Packets = g.Sum(d => d.Packets) }).ToList();
        return new StageStats(name, copies[0].Type, copies[0].Worker, packets, copies.Sum(s => s.Emitted), copies.Sum(s => s.Consumed),
            copies.Sum(s => s.Queued), copies.Sum(s => s.Batches), nanoseconds, outs, drops, Transmits: copies[0].Transmits);
    }

    /// <summary>True when every stage and ring satisfies its conservation sum.</summary>
    public bool IsBalanced => Stages.All(s => s.IsBalanced) && Rings.All(r => r.IsBalanced);
}
