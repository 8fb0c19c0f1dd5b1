using System.Globalization;
using System.Text;

namespace Flow.Hosting;

/// <summary>
/// Renders a <see cref="GraphStats"/> snapshot in the Prometheus text exposition format
/// (version 0.0.4): per-stage, per-port and per-reason counters, ring occupancy, worker busy
/// ratio. Names follow the <c>Flow</c> meter's instruments with Prometheus spelling
/// (<c>flow.stage.packets</c> → <c>flow_stage_packets_total</c>).
/// </summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The exposition text of <paramref name="stats"/> and, when given, of the ports' own device counters.</summary>
    /// <param name="stats">The graph's counters.</param>
    /// <param name="devices">The devices' own counters (<see cref="FlowGraph.GetDeviceCounters"/>) as <c>flow_device_counter</c>; null or empty for none.</param>
    public static string Render(GraphStats stats, IReadOnlyList<DeviceCounters>? devices = null)
    {
        var text = new StringBuilder(4096);
        Family(text, "flow_stage_in_packets_total", "counter", "Packets that entered the stage (sources: none).");
        foreach (StageStats s in stats.Stages)
        {
            Sample(text, "flow_stage_in_packets_total", s.In, ("stage", s.Name), ("type", s.Type));
        }
        Family(text, "flow_stage_packets_total", "counter", "Packets the stage sent out of each port.");
        foreach (StageStats s in stats.Stages)
        {
            foreach (PortCount port in s.Out)
            {
                Sample(text, "flow_stage_packets_total", port.Packets, ("stage", s.Name), ("type", s.Type), ("port", port.Port));
            }
        }
        Family(text, "flow_stage_drops_total", "counter", "Packets the stage dropped, by reason.");
        foreach (StageStats s in stats.Stages)
        {
            foreach (DropCount drop in s.Drops)
            {
                Sample(text, "flow_stage_drops_total", drop.Packets, ("stage", s.Name), ("type", s.Type), ("reason", drop.Reason),
                    ("severity", drop.Severity.ToString().ToLowerInvariant()));
            }
        }
        Family(text, "flow_stage_sent_packets_total", "counter", "Packets a transmitting stage handed to its device or file.");
        foreach (StageStats s in stats.Stages.Where(s => s.Transmits))
        {
            Sample(text, "flow_stage_sent_packets_total", s.Sent, ("stage", s.Name), ("type", s.Type));
        }
        Family(text, "flow_stage_consumed_packets_total", "counter", "Packets a stage that does not transmit took ownership of (delivered, held, freed).");
        foreach (StageStats s in stats.Stages.Where(s => !s.Transmits))
        {
            Sample(text, "flow_stage_consumed_packets_total", s.Consumed, ("stage", s.Name), ("type", s.Type));
        }
        Family(text, "flow_stage_batches_total", "counter", "Batches the stage processed.");
        foreach (StageStats s in stats.Stages)
        {
            Sample(text, "flow_stage_batches_total", s.Batches, ("stage", s.Name), ("type", s.Type));
        }
        Family(text, "flow_stage_queued_packets", "gauge", "Packets waiting at the stage's input.");
        foreach (StageStats s in stats.Stages)
        {
            Sample(text, "flow_stage_queued_packets", s.Queued, ("stage", s.Name), ("type", s.Type));
        }
        // A stage with too few timed batches has no sample at all: a 0 would read as "free".
        Family(text, "flow_stage_nanoseconds_per_packet", "gauge", "Average processing time per packet (absent until enough batches were timed).");
        foreach (StageStats s in stats.Stages)
        {
            if (s.NanosecondsPerPacket is double ns)
            {
                Sample(text, "flow_stage_nanoseconds_per_packet", ns, ("stage", s.Name), ("type", s.Type));
            }
        }
        if (double.IsFinite(CpuClock.GigaHertz))
        {
            Family(text, "flow_stage_cycles_per_packet", "gauge", "Average processing time per packet in CPU cycles at the nominal clock.");
            foreach (StageStats s in stats.Stages)
            {
                if (s.CyclesPerPacket is double cycles)
                {
                    Sample(text, "flow_stage_cycles_per_packet", cycles, ("stage", s.Name), ("type", s.Type));
                }
            }
        }
        Family(text, "flow_ring_occupancy", "gauge", "Packets in the ring between two workers.");
        foreach (RingStats r in stats.Rings)
        {
            Sample(text, "flow_ring_occupancy", r.Occupancy, ("ring", r.Name), ("from", r.From), ("to", r.To));
        }
        Family(text, "flow_ring_capacity", "gauge", "Slots of the ring.");
        foreach (RingStats r in stats.Rings)
        {
            Sample(text, "flow_ring_capacity", r.Capacity, ("ring", r.Name), ("from", r.From), ("to", r.To));
        }
        Family(text, "flow_ring_drops_total", "counter", "Packets dropped because the ring was full (ring_full).");
        foreach (RingStats r in stats.Rings)
        {
            Sample(text, "flow_ring_drops_total", r.Dropped, ("ring", r.Name), ("from", r.From), ("to", r.To));
        }
        Family(text, "flow_worker_busy_ratio", "gauge", "Share of the worker's wall time spent in loop passes that found work.");
        foreach (WorkerStats w in stats.Workers)
        {
            Sample(text, "flow_worker_busy_ratio", w.BusyRatio, ("worker", w.Id.ToString(CultureInfo.InvariantCulture)),
                ("cpu", w.Cpu?.ToString(CultureInfo.InvariantCulture) ?? "any"));
        }
        if (devices is { Count: > 0 })
        {
            // Untyped: a driver's xstats mix totals with the odd gauge, and only it knows which.
            Family(text, "flow_device_counter", "untyped", "A port device's own counter (DPDK xstats, AF_XDP XDP_STATISTICS), by the device's name for it.");
            foreach (DeviceCounters device in devices)
            {
                foreach (KeyValuePair<string, long> counter in device.Counters)
                {
                    Sample(text, "flow_device_counter", counter.Value, ("stage", device.Stage), ("device", device.Device), ("name", counter.Key));
                }
            }
        }
        return text.ToString();
    }

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, double value, params (string Name, string Value)[] labels)
    {
        text.Append(name).Append('{');
        for (int i = 0; i < labels.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }
            // A shard's copy (count@1) is the declared stage with a shard label, so that
            // sum by (stage) adds the copies up.
            if (labels[i].Name == "stage" && ShardNames.Split(labels[i].Value) is (string stage, int shard))
            {
                text.Append("stage=\"").Append(Escape(stage)).Append("\",shard=\"").Append(shard.ToString(CultureInfo.InvariantCulture)).Append('"');
                continue;
            }
            text.Append(labels[i].Name).Append("=\"").Append(Escape(labels[i].Value)).Append('"');
        }
        text.Append("} ").Append(double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "NaN").Append('\n');
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
