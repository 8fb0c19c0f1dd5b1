using System.Globalization;
using Spectre.Console;

namespace Flow.Cli;

/// <summary>
/// Renders graph stats: rates between two snapshots while running (packets/s per stage, drops
/// per reason per second, ns per packet, ring occupancy, worker busy ratio) and totals at exit.
/// A Spectre.Console table on a terminal; logfmt-style lines when output is redirected.
/// </summary>
internal static class StatsView
{
    /// <summary>A cost not measured yet (too few timed batches).</summary>
    private const string Unknown = "–";

    public static Table LiveTable(GraphStats previous, GraphStats current, double seconds, TimeSpan elapsed)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]flow[/] running {elapsed:hh\\:mm\\:ss}");
        table.AddColumn("stage");
        table.AddColumn("type");
        table.AddColumn(new TableColumn("in/s").RightAligned());
        table.AddColumn(new TableColumn("out/s").RightAligned());
        table.AddColumn(new TableColumn("ns/pkt").RightAligned());
        table.AddColumn(new TableColumn("cycles/pkt").RightAligned());
        table.AddColumn("drops/s by reason");
        foreach ((StageStats stage, bool summed) in Rows(current))
        {
            StageStats? before = Before(previous, stage, summed);
            string drops = string.Join(", ", stage.Drops.Where(d => d.Packets > 0)
                .Select(d => $"{Markup.Escape(d.Reason)} {Rate(d.Packets - (before?.DroppedFor(d.Reason) ?? 0), seconds)}"));
            string outRate = Rate(stage.OutTotal - (before?.OutTotal ?? 0), seconds);
            if (stage.Out.Count > 1)
            {
                outRate += " (" + string.Join(", ", stage.Out.Select(p => $"{Markup.Escape(p.Port)} {Rate(p.Packets - (before?.OutOn(p.Port) ?? 0), seconds)}")) + ")";
            }
            table.AddRow(summed ? $"[bold]{Markup.Escape(stage.Name)}[/] all shards" : Markup.Escape(stage.Name), Markup.Escape(stage.Type),
                Rate(stage.In - (before?.In ?? 0), seconds), outRate,
                Nanoseconds(stage), Cycles(stage), drops.Length == 0 ? "-" : drops);
        }
        foreach (RingStats ring in current.Rings)
        {
            long droppedBefore = previous.Rings.FirstOrDefault(r => r.Name == ring.Name)?.Dropped ?? 0;
            table.AddRow($"[grey]ring[/] {Markup.Escape(ring.Name)}", "", "", "", "", "",
                $"occupancy {ring.Occupancy}/{ring.Capacity}, ring_full {Rate(ring.Dropped - droppedBefore, seconds)}");
        }
        foreach (WorkerStats worker in current.Workers)
        {
            table.AddRow($"[grey]worker[/] {worker.Id}", Markup.Escape(worker.Idle), "", "", "", "", $"busy {worker.BusyRatio:P0}");
        }
        return table;
    }

    /// <summary>One line per stage, ring and worker: <c>t=3s stage=count type=counter in_pps=… out_pps=… ns_per_packet=… drops=reason:rate</c>.</summary>
    public static void WritePlain(TextWriter output, GraphStats previous, GraphStats current, double seconds, TimeSpan elapsed)
    {
        string t = $"t={elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)}s";
        foreach ((StageStats stage, bool summed) in Rows(current))
        {
            StageStats? before = Before(previous, stage, summed);
            string drops = string.Join(",", stage.Drops.Where(d => d.Packets > 0)
                .Select(d => $"{d.Reason}:{Rate(d.Packets - (before?.DroppedFor(d.Reason) ?? 0), seconds)}"));
            output.WriteLine($"{t} stage={stage.Name}{(summed ? " shards=all" : "")} type={stage.Type} in_pps={Rate(stage.In - (before?.In ?? 0), seconds)} " +
                $"out_pps={Rate(stage.OutTotal - (before?.OutTotal ?? 0), seconds)} ns_per_packet={Nanoseconds(stage)} cycles_per_packet={Cycles(stage)}" +
                (stage.Out.Count > 1 ? " port_pps=" + string.Join(",", stage.Out.Select(p => $"{p.Port}:{Rate(p.Packets - (before?.OutOn(p.Port) ?? 0), seconds)}")) : "") +
                (drops.Length > 0 ? $" drops_per_s={drops}" : ""));
        }
        foreach (RingStats ring in current.Rings)
        {
            long droppedBefore = previous.Rings.FirstOrDefault(r => r.Name == ring.Name)?.Dropped ?? 0;
            output.WriteLine($"{t} ring={ring.Name} occupancy={ring.Occupancy} capacity={ring.Capacity} ring_full_per_s={Rate(ring.Dropped - droppedBefore, seconds)}");
        }
        foreach (WorkerStats worker in current.Workers)
        {
            output.WriteLine($"{t} worker={worker.Id} busy_ratio={worker.BusyRatio.ToString("F2", CultureInfo.InvariantCulture)}");
        }
        output.Flush();
    }

    public static Table FinalTable(GraphStats stats, TimeSpan elapsed)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]final stats[/] after {elapsed.TotalSeconds:F1} s");
        table.AddColumn("stage");
        table.AddColumn("type");
        table.AddColumn(new TableColumn("in").RightAligned());
        table.AddColumn(new TableColumn("out").RightAligned());
        table.AddColumn(new TableColumn("dropped").RightAligned());
        table.AddColumn(new TableColumn("sent").RightAligned());
        table.AddColumn(new TableColumn("consumed").RightAligned());
        table.AddColumn(new TableColumn("ns/pkt").RightAligned());
        table.AddColumn(new TableColumn("cycles/pkt").RightAligned());
        table.AddColumn("drops by reason");
        foreach ((StageStats stage, bool summed) in Rows(stats))
        {
            string drops = string.Join(", ", stage.Drops.Where(d => d.Packets > 0).Select(d => $"{Markup.Escape(d.Reason)} {d.Packets}"));
            table.AddRow(summed ? $"[bold]{Markup.Escape(stage.Name)}[/] all shards" : Markup.Escape(stage.Name), Markup.Escape(stage.Type), stage.In.ToString(CultureInfo.InvariantCulture),
                stage.OutTotal.ToString(CultureInfo.InvariantCulture), stage.DroppedTotal.ToString(CultureInfo.InvariantCulture),
                stage.Transmits ? stage.Sent.ToString(CultureInfo.InvariantCulture) : "",
                stage.Transmits ? "" : stage.Consumed.ToString(CultureInfo.InvariantCulture), Nanoseconds(stage),
                Cycles(stage), drops.Length == 0 ? "-" : drops);
        }
        foreach (RingStats ring in stats.Rings)
        {
            table.AddRow($"[grey]ring[/] {Markup.Escape(ring.Name)}", "", ring.Enqueued.ToString(CultureInfo.InvariantCulture),
                ring.Dequeued.ToString(CultureInfo.InvariantCulture), ring.Dropped.ToString(CultureInfo.InvariantCulture), "", "", "", "", ring.Dropped > 0 ? $"ring_full {ring.Dropped}" : "-");
        }
        table.Caption(stats.IsBalanced ? "[green]balanced: in = out + dropped + sent/consumed + queued for every stage and ring[/]" : "[red]NOT balanced: a stage or ring lost count of packets[/]");
        return table;
    }

    /// <summary>
    /// Totals as lines: <c>final stage=count type=counter in=… out=… dropped=… consumed=… [reason=n …]</c>
    /// (<c>sent=…</c> instead of <c>consumed=…</c> for a transmitting stage), then <c>final balanced=true</c>.
    /// </summary>
    public static void WriteFinalPlain(TextWriter output, GraphStats stats, TimeSpan elapsed)
    {
        output.WriteLine($"final elapsed_s={elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)}");
        foreach ((StageStats stage, bool summed) in Rows(stats))
        {
            string drops = string.Join(" ", stage.Out.Count > 1 ? stage.Out.Select(p => $"out.{p.Port}={p.Packets}") : [])
                + (stage.Out.Count > 1 ? " " : "")
                + string.Join(" ", stage.Drops.Where(d => d.Packets > 0).Select(d => $"drop.{d.Reason}={d.Packets}"));
            drops = drops.Trim();
            output.WriteLine($"final stage={stage.Name}{(summed ? " shards=all" : "")} type={stage.Type} in={stage.In} out={stage.OutTotal} dropped={stage.DroppedTotal} " +
                (stage.Transmits ? $"sent={stage.Sent}" : $"consumed={stage.Consumed}") + $" queued={stage.Queued} ns_per_packet={Nanoseconds(stage)} cycles_per_packet={Cycles(stage)}" +
                (drops.Length > 0 ? " " + drops : ""));
        }
        foreach (RingStats ring in stats.Rings)
        {
            output.WriteLine($"final ring={ring.Name} enqueued={ring.Enqueued} dequeued={ring.Dequeued} ring_full={ring.Dropped} occupancy={ring.Occupancy}");
        }
        output.WriteLine($"final balanced={(stats.IsBalanced ? "true" : "false")}");
        output.Flush();
    }

    /// <summary>
    /// Every stage in graph order and, after the last copy of a sharded stage, the copies summed
    /// (<see cref="GraphStats.Summed"/>, named as declared), as <c>flow ctl stats</c> lists them.
    /// </summary>
    private static List<(StageStats Stage, bool Summed)> Rows(GraphStats stats)
    {
        var lastCopy = new Dictionary<string, (int Index, int Copies)>(StringComparer.Ordinal);
        for (int i = 0; i < stats.Stages.Count; i++)
        {
            (string name, int? shard) = ShardNames.Split(stats.Stages[i].Name);
            if (shard is not null)
            {
                lastCopy[name] = (i, lastCopy.TryGetValue(name, out (int, int Copies) seen) ? seen.Copies + 1 : 1);
            }
        }
        var rows = new List<(StageStats, bool)>(stats.Stages.Count + lastCopy.Count);
        for (int i = 0; i < stats.Stages.Count; i++)
        {
            rows.Add((stats.Stages[i], false));
            string name = ShardNames.Split(stats.Stages[i].Name).Name;
            if (lastCopy.TryGetValue(name, out (int Index, int Copies) last) && last.Index == i && last.Copies > 1)
            {
                rows.Add((stats.Summed(name), true));
            }
        }
        return rows;
    }

    private static StageStats? Before(GraphStats previous, StageStats stage, bool summed) =>
        summed ? (previous.Stages.Any(s => ShardNames.Matches(s.Name, stage.Name)) ? previous.Summed(stage.Name) : null)
            : previous.Stages.FirstOrDefault(s => s.Name == stage.Name);

    private static string Rate(long delta, double seconds)
    {
        double rate = seconds > 0 ? delta / seconds : 0;
        return rate switch
        {
            >= 1e9 => (rate / 1e9).ToString("F2", CultureInfo.InvariantCulture) + "G",
            >= 1e6 => (rate / 1e6).ToString("F2", CultureInfo.InvariantCulture) + "M",
            >= 1e4 => (rate / 1e3).ToString("F1", CultureInfo.InvariantCulture) + "k",
            _ => rate.ToString("F0", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>"–" until enough batches were timed: a figure from one batch (often the JIT's) misleads.</summary>
    private static string Nanoseconds(StageStats stage) =>
        stage.NanosecondsPerPacket is double ns ? ns.ToString("F1", CultureInfo.InvariantCulture) : Unknown;

    private static string Cycles(StageStats stage) =>
        stage.CyclesPerPacket is double cycles ? cycles.ToString("F0", CultureInfo.InvariantCulture) : Unknown;
}
