using System.Globalization;

namespace Flow.Hosting.Internal;

/// <summary><c>stats</c>: the running graph's counters per stage (and per ring), read without stopping it.</summary>
internal sealed class StatsControlCommand : IControlCommand
{
    public string Name => "stats";

    public string Help => "The graph's counters: per stage packets in, out, dropped (by reason), sent (transmitting stages) or consumed, queued, ns and cycles per packet " +
        "(null until enough batches were timed); in a sharded graph per shard's copy, then summed over the shards; per ring.";

    public IReadOnlyList<ControlArgument> Arguments => [];

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        GraphStats stats = request.Graph.GetStats();
        var rows = new List<IReadOnlyList<string>>();
        // A sharded graph: every shard's copy (name@s), then each stage summed over its shards.
        var sharded = stats.Stages.Select(s => ShardNames.Split(s.Name)).Where(n => n.Shard is not null).Select(n => n.Name).Distinct().ToList();
        foreach (StageStats s in stats.Stages.Concat(sharded.Select(stats.Summed)))
        {
            string drops = string.Join(", ", s.Drops.Where(d => d.Packets > 0).Select(d => $"{d.Reason} {ControlProtocol.Count(d.Packets)}"));
            string worker = ShardNames.Split(s.Name).Shard is null && sharded.Contains(s.Name) ? "all" : ControlProtocol.Count(s.Worker);
            rows.Add([s.Name, s.Type, worker, ControlProtocol.Count(s.In), ControlProtocol.Count(s.OutTotal),
                ControlProtocol.Count(s.DroppedTotal), s.Transmits ? ControlProtocol.Count(s.Sent) : "", s.Transmits ? "" : ControlProtocol.Count(s.Consumed),
                ControlProtocol.Count(s.Queued), Figure(s.NanosecondsPerPacket, "0.0"), Figure(s.CyclesPerPacket, "0"), drops]);
        }
        foreach (RingStats r in stats.Rings)
        {
            rows.Add([$"ring {r.From}->{r.To}", "ring", "", ControlProtocol.Count(r.Enqueued), ControlProtocol.Count(r.Dequeued),
                ControlProtocol.Count(r.Dropped), "", "", ControlProtocol.Count(r.Occupancy), "", "", r.Dropped > 0 ? $"ring_full {ControlProtocol.Count(r.Dropped)}" : ""]);
        }
        string state = request.Graph.State.ToString().ToLowerInvariant();
        return Task.FromResult(ControlReply.Table(["stage", "type", "worker", "in", "out", "dropped", "sent", "consumed", "queued", "ns/pkt", "cycles/pkt", "drops"], rows,
            $"graph {state}; {stats.Stages.Count} stages, {stats.Rings.Count} rings"));
    }

    /// <summary>A cost figure, or <see cref="ControlReply.Unknown"/> (JSON null) when too few batches were timed.</summary>
    private static string Figure(double? value, string format) =>
        value is double v ? v.ToString(format, CultureInfo.InvariantCulture) : ControlReply.Unknown;
}
