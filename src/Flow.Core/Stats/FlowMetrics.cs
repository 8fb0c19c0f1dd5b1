using System.Diagnostics.Metrics;

namespace Flow;

/// <summary>
/// Publishes graph counters through <see cref="System.Diagnostics.Metrics"/> under the meter
/// <c>Flow</c>, so <c>dotnet-counters monitor --counters Flow</c> and OpenTelemetry read them.
/// </summary>
/// <remarks>
/// Observable instruments only: the data path keeps plain per-worker counters and this class
/// reads a <see cref="GraphStats"/> snapshot when a listener collects, so no Meter call is ever
/// made per packet or per batch.
/// </remarks>
public sealed class FlowMetrics : IDisposable
{
    public const string MeterName = "Flow";

    private readonly Meter _meter;
    private readonly List<FlowGraph> _graphs = [];
    private readonly Lock _lock = new();

    public FlowMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableCounter("flow.stage.packets", ObservePackets, "{packet}",
            "Packets sent out of a stage's port (tags: stage, port)");
        _meter.CreateObservableCounter("flow.stage.drops", ObserveDrops, "{packet}",
            "Packets a stage dropped, by reason (tags: stage, reason)");
        _meter.CreateObservableCounter("flow.stage.batches", ObserveBatches, "{batch}",
            "Batches a stage processed (tag: stage)");
        _meter.CreateObservableGauge("flow.stage.time_per_packet", ObserveTimePerPacket, "ns",
            "Sampled processing time per packet of a stage (tag: stage)");
        _meter.CreateObservableGauge("flow.ring.occupancy", ObserveOccupancy, "{packet}",
            "Packets waiting on a ring between workers (tag: ring)");
        _meter.CreateObservableCounter("flow.ring.drops", ObserveRingDrops, "{packet}",
            "Packets dropped because a ring was full (tag: ring)");
        _meter.CreateObservableGauge("flow.worker.busy_ratio", ObserveBusyRatio, "1",
            "Share of a worker's wall time spent in passes that found work (tag: worker)");
    }

    /// <summary>Starts publishing a graph's counters.</summary>
    public void Track(FlowGraph graph)
    {
        lock (_lock)
        {
            _graphs.Add(graph);
        }
    }

    public void Untrack(FlowGraph graph)
    {
        lock (_lock)
        {
            _graphs.Remove(graph);
        }
    }

    private List<GraphStats> Snapshots()
    {
        lock (_lock)
        {
            return _graphs.Select(g => g.GetStats()).ToList();
        }
    }

    private IEnumerable<Measurement<long>> ObservePackets() =>
        from stats in Snapshots()
        from stage in stats.Stages
        from port in stage.Out
        select new Measurement<long>(port.Packets, [.. StageTags(stage.Name), new KeyValuePair<string, object?>("port", port.Port)]);

    private IEnumerable<Measurement<long>> ObserveDrops() =>
        from stats in Snapshots()
        from stage in stats.Stages
        from drop in stage.Drops
        select new Measurement<long>(drop.Packets, [.. StageTags(stage.Name), new KeyValuePair<string, object?>("reason", drop.Reason)]);

    private IEnumerable<Measurement<long>> ObserveBatches() =>
        from stats in Snapshots()
        from stage in stats.Stages
        select new Measurement<long>(stage.Batches, StageTags(stage.Name));

    private IEnumerable<Measurement<double>> ObserveTimePerPacket() =>
        from stats in Snapshots()
        from stage in stats.Stages
        where stage.NanosecondsPerPacket is not null
        select new Measurement<double>(stage.NanosecondsPerPacket!.Value, StageTags(stage.Name));

    /// <summary>A stage's tags: a shard's copy (<c>count@1</c>) is the declared stage with a <c>shard</c> tag, so that copies add up by stage.</summary>
    private static KeyValuePair<string, object?>[] StageTags(string name) => ShardNames.Split(name) is (string stage, int shard)
        ? [new("stage", stage), new("shard", shard)]
        : [new("stage", name)];

    private IEnumerable<Measurement<long>> ObserveOccupancy() =>
        from stats in Snapshots()
        from ring in stats.Rings
        select new Measurement<long>(ring.Occupancy, new KeyValuePair<string, object?>("ring", ring.Name));

    private IEnumerable<Measurement<long>> ObserveRingDrops() =>
        from stats in Snapshots()
        from ring in stats.Rings
        select new Measurement<long>(ring.Dropped, new KeyValuePair<string, object?>("ring", ring.Name));

    private IEnumerable<Measurement<double>> ObserveBusyRatio() =>
        from stats in Snapshots()
        from worker in stats.Workers
        select new Measurement<double>(worker.BusyRatio, new KeyValuePair<string, object?>("worker", worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public void Dispose() => _meter.Dispose();
}
