using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Flow.Benchmarks.Infrastructure;
using Flow.Benchmarks.Router;
using Flow.Stages.Switching;
using Flow.Stages.Vlan;

namespace Flow.Benchmarks.Scale;

/// <summary>
/// Scenario <c>scale</c>: the switch (classify, learn, forward, four taggers) at 1 and at 2
/// shards (<see cref="GraphBuilder.Shards"/>), each shard pinned to a CPU of its own and fed by
/// in-process generators, one per port and shard (so no peer needs a core), in interleaved
/// rounds. Every generator sends a 64-byte frame from its port's station to the next port's,
/// so after the first frames every frame is one unicast through the whole switch; the figure is
/// what the four sinks of every shard take per second. Then the router the same way
/// (<see cref="RouterScale"/>: pipelines/router.json at 1 and 2 shards, in-process ends).
/// </summary>
internal static class ScaleScenario
{
    private static readonly SwitchPortOptions[] s_ports = Enumerable.Range(1, 4)
        .Select(i => new SwitchPortOptions { Name = $"p{i}", Id = (ushort)(i - 1), Mode = VlanPortMode.Access, Vlan = 10 }).ToArray();

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 5);
        double seconds = ScenarioArgs.Double(args, "--seconds", 2.0);
        string[] only = (ScenarioArgs.String(args, "--only") ?? "switch,router").Split(',');
        int cpus = Environment.ProcessorCount;
        if (cpus < 2)
        {
            Console.Error.WriteLine($"scale: needs 2 CPUs for 2 shards; this process may use {cpus}");
            return 1;
        }
        Console.WriteLine($"scale: switch (4 access ports, VLAN 10) at 1 and 2 shards, busy-polling shard workers on cpus 0 and 1, " +
            $"64-byte unicast frames from in-process generators (one per port and shard), {rounds} interleaved rounds of {seconds:F1} s");
        var content = new ContentTally();
        // The two CPUs of a VM need not be equal (here a compute loop ran 1.7× faster on cpu 1 than
        // on cpu 0): perfect scaling is the sum of what one shard does on each, so the 1-shard
        // figure is the mean of a run on each CPU, and the ratio to it is 2 at perfect scaling.
        var one = new Samples();
        var oneOnCpu0 = new Samples();
        var oneOnCpu1 = new Samples();
        var two = new Samples();
        var ratios = new Samples();
        var ratiosToCpu0 = new Samples();
        var ownTables = new Samples();
        var sharing = new Samples();
        for (int round = 1; round <= rounds && only.Contains("switch"); round++)
        {
            double single0 = await MeasureAsync(1, seconds, sharedTable: true, content, firstCpu: 0);
            double both = await MeasureAsync(2, seconds, sharedTable: true, content);
            double single1 = await MeasureAsync(1, seconds, sharedTable: true, content, firstCpu: 1);
            double apart = await MeasureAsync(2, seconds, sharedTable: false, content);
            double single = (single0 + single1) / 2;
            one.Add(single);
            oneOnCpu0.Add(single0);
            oneOnCpu1.Add(single1);
            two.Add(both);
            ratios.Add(both / single);
            ratiosToCpu0.Add(both / single0);
            ownTables.Add(apart);
            sharing.Add(both / apart);
            Console.WriteLine($"  round {round}: switch_1s {single0 / 1e6,8:F2} (cpu 0) {single1 / 1e6,8:F2} (cpu 1) Mpps   switch_2s {both / 1e6,8:F2} Mpps   " +
                $"ratio {both / single:F2} ({both / single0:F2} to cpu 0's)   switch_2s_own_tables {apart / 1e6,8:F2} Mpps (one table / own tables {both / apart:F2})");
        }
        var learned = new Samples();
        var handedOff = new Samples();
        var handOffsDropped = new Samples();
        for (int round = 1; round <= rounds && only.Contains("switch"); round++)
        {
            (double l, double h, double d) = await MeasureLearningAsync(seconds);
            learned.Add(l);
            handedOff.Add(h);
            handOffsDropped.Add(d);
            Console.WriteLine($"  round {round}: learning storm on shard 1: writer learned {l / 1e6:F2} M/s, shard 1 handed over {h / 1e6:F2} M/s, could not hand over {d / 1e6:F2} M/s");
        }
        double latency = CrossCoreLatency.MeasureNanoseconds();
        Console.WriteLine($"switch_1s {one.Median / 1e6:F2} Mpps ({one.Min / 1e6:F2}–{one.Max / 1e6:F2}), switch_2s {two.Median / 1e6:F2} Mpps ({two.Min / 1e6:F2}–{two.Max / 1e6:F2})");
        Console.WriteLine($"switch_2s/switch_1s: {ratios.Median:F2} median of the per-round ratios ({ratios.Min:F2}–{ratios.Max:F2}); target ≥ 1.80 " +
            $"(1 shard: mean of cpu 0 {oneOnCpu0.Median / 1e6:F2} and cpu 1 {oneOnCpu1.Median / 1e6:F2} Mpps; to cpu 0's alone {ratiosToCpu0.Median:F2})");
        Console.WriteLine($"switch_2s (one MAC table) / switch_2s_own_tables (a table per shard, as before issue 18 item 2): {sharing.Median:F2} ({sharing.Min:F2}–{sharing.Max:F2})");
        (Samples routerOne, Samples routerTwo, Samples routerRatios, long routerDrops)? router = null;
        var routerOnCpu0 = new Samples();
        var routerOnCpu1 = new Samples();
        var routerRatiosToCpu0 = new Samples();
        string? routerFile = RouterFile.Locate();
        if (routerFile is not null && only.Contains("router"))
        {
            Console.WriteLine($"scale: {routerFile} at 1 and 2 shards (in-process ends: a generator of 64-byte datagrams lan → wan per shard, " +
                $"the gateway's ARP replies, a sink on wan comparing sampled frames with the routed one; worker cpu = shard, busy-polling), {rounds} interleaved rounds of {seconds:F1} s");
            var r1 = new Samples();
            var r2 = new Samples();
            var rr = new Samples();
            long drops = 0;
            for (int round = 1; round <= rounds; round++)
            {
                (double single0, long d1) = await RouterScale.MeasureAsync(routerFile, 1, seconds, content, cpu: 0);
                (double both, long d2) = await RouterScale.MeasureAsync(routerFile, 2, seconds, content);
                (double single1, long d3) = await RouterScale.MeasureAsync(routerFile, 1, seconds, content, cpu: 1);
                double single = (single0 + single1) / 2;
                r1.Add(single);
                routerOnCpu0.Add(single0);
                routerOnCpu1.Add(single1);
                r2.Add(both);
                rr.Add(both / single);
                routerRatiosToCpu0.Add(both / single0);
                drops += d1 + d2 + d3;
                Console.WriteLine($"  round {round}: router_1s {single0 / 1e6,8:F2} (cpu 0) {single1 / 1e6,8:F2} (cpu 1) Mpps   router_2s {both / 1e6,8:F2} Mpps   " +
                    $"ratio {both / single:F2} ({both / single0:F2} to cpu 0's)   drops {d1 + d2 + d3}");
            }
            router = (r1, r2, rr, drops);
            Console.WriteLine($"router_1s {r1.Median / 1e6:F2} Mpps ({r1.Min / 1e6:F2}–{r1.Max / 1e6:F2}), router_2s {r2.Median / 1e6:F2} Mpps ({r2.Min / 1e6:F2}–{r2.Max / 1e6:F2})");
            Console.WriteLine($"router_2s/router_1s: {rr.Median:F2} median of the per-round ratios ({rr.Min:F2}–{rr.Max:F2}); target ≥ 1.80 " +
                $"(1 shard: mean of cpu 0 {routerOnCpu0.Median / 1e6:F2} and cpu 1 {routerOnCpu1.Median / 1e6:F2} Mpps; to cpu 0's alone {routerRatiosToCpu0.Median:F2})");
        }
        Console.WriteLine($"cross-core latency: {latency:F0} ns");
        Console.WriteLine($"content: {content.Checked} frames compared whole at the sinks (the first of every 16th burst), {content.Corrupt} not a frame that may leave there");
        // A part left out by --only prints null, not NaN (which JSON has no word for).
        static double? Figure(double value, int digits = 0) => double.IsNaN(value) ? null : Math.Round(value, digits);
        var json = new Dictionary<string, object?>
        {
            ["scenario"] = "scale",
            ["switch_1s_pps"] = Figure(one.Median),
            ["switch_2s_pps"] = Figure(two.Median),
            ["switch_2s_vs_1s"] = Figure(ratios.Median, 2),
            ["switch_2s_vs_1s_min"] = Figure(ratios.Min, 2),
            ["switch_2s_vs_1s_max"] = Figure(ratios.Max, 2),
            ["switch_1s_cpu0_pps"] = Figure(oneOnCpu0.Median),
            ["switch_1s_cpu1_pps"] = Figure(oneOnCpu1.Median),
            ["switch_2s_vs_1s_cpu0"] = Figure(ratiosToCpu0.Median, 2),
            ["switch_2s_own_tables_pps"] = Figure(ownTables.Median),
            ["switch_2s_one_table_vs_own_tables"] = Figure(sharing.Median, 2),
            ["mac_writer_learns_per_s"] = Figure(learned.Median),
            ["mac_hand_offs_per_s"] = Figure(handedOff.Median),
            ["mac_hand_offs_dropped_per_s"] = Figure(handOffsDropped.Median),
            ["router_1s_pps"] = router is { } r ? Math.Round(r.routerOne.Median) : null,
            ["router_2s_pps"] = router is { } r2s ? Math.Round(r2s.routerTwo.Median) : null,
            ["router_2s_vs_1s"] = router is { } rv ? Math.Round(rv.routerRatios.Median, 2) : null,
            ["router_2s_vs_1s_min"] = router is { } rmin ? Math.Round(rmin.routerRatios.Min, 2) : null,
            ["router_2s_vs_1s_max"] = router is { } rmax ? Math.Round(rmax.routerRatios.Max, 2) : null,
            ["router_1s_cpu0_pps"] = Figure(routerOnCpu0.Median),
            ["router_1s_cpu1_pps"] = Figure(routerOnCpu1.Median),
            ["router_2s_vs_1s_cpu0"] = Figure(routerRatiosToCpu0.Median, 2),
            ["router_dropped"] = router?.routerDrops,
            ["router_not_measured"] = routerFile is null ? "pipelines/router.json not found above the working directory" : null,
            ["memif_2qp_not_measured"] = cpus < 3
                ? $"the memif loop at 2 queue pairs needs 2 shard cores and a core for the peer; this process may use {cpus}"
                : "not built yet: the memif loop at 2 queue pairs",
            ["cross_core_latency_ns"] = Math.Round(latency),
            ["checked"] = content.Checked,
            ["corrupt"] = content.Corrupt,
        };
        Console.WriteLine(JsonSerializer.Serialize(json));
        return content.Corrupt == 0 && content.Checked > 0 ? 0 : 1;
    }

    /// <summary>Packets per second the sinks of every shard took over a window after a warm-up.</summary>
    private static async Task<double> MeasureAsync(int shards, double seconds, bool sharedTable, ContentTally content, int firstCpu = 0)
    {
        // One MAC table for all shards, as switch.json has: shard 0's learner writes it, the others
        // read it; or, for comparison, a table per shard.
        MacLearner? writer = null;
        var checks = new List<FrameChecker>();
        await using FlowGraph graph = new GraphBuilder().Shards(shards, shard => Declare(shard, shard.Shard == 0 || !sharedTable
            ? writer = new MacLearner(new MacLearnerOptions())
            : writer!.CopyForShard(shard.Shard, shard.Count), checks, firstCpu)).Build();
        graph.Start();
        await Task.Delay(500);
        long before = Sunk(graph.GetStats());
        long start = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        long after = Sunk(graph.GetStats());
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await graph.StopAsync(drain: false);
        GraphStats stats = graph.GetStats();
        long flooded = s_ports.Sum(p => stats.Summed("forward").OutOn(p.Name)) - stats.Summed("forward").In;
        // Frames flood only until the table writer has published the stations (on shard 1: a hand-off away).
        if (stats.Summed("forward").DroppedTotal > 0 || flooded > stats.Summed("forward").In / 1000)
        {
            throw new InvalidOperationException($"scale: the switch at {shards} shards did not forward unicast: " + string.Join("; ", stats.Stages));
        }
        foreach (FrameChecker check in checks)
        {
            content.Add(check, missing: 0);
        }
        return (after - before) / elapsed;
    }

    /// <summary>
    /// The one MAC table's writer under a learning storm: the 2-shard switch as measured, plus on
    /// shard 1 a generator whose every frame comes from a new station (a 64-bit sequence stamped
    /// over the source MAC) to an unknown one (flooded). Shard 1 hands each new station to the
    /// writer on shard 0, which learns them (a table of 2^20, the oldest giving way) while it
    /// switches its own shard's traffic. Returns what the writer learned, what shard 1 handed over
    /// and what it could not hand over (its ring full), per second.
    /// </summary>
    private static async Task<(double Learned, double HandedOff, double Dropped)> MeasureLearningAsync(double seconds)
    {
        MacLearner? writer = null;
        var options = new MacLearnerOptions { MaxEntries = 1 << 20, Overflow = MacTableOverflow.ReplaceOldest };
        await using FlowGraph graph = new GraphBuilder().Shards(2, shard =>
        {
            Declare(shard, shard.Shard == 0 ? writer = new MacLearner(options) : writer!.CopyForShard(shard.Shard, shard.Count));
            if (shard.Shard == 1)
            {
                string template = "020000000199 020000000101 88b5" + string.Concat(Enumerable.Repeat(" 00", 46));
                shard.Add("storm", new Generator(new GeneratorOptions { Template = template, InputPort = 0, PoolFrames = 4096, SequenceOffset = 4 }))
                    .Connect("storm", SwitchGraph.Classifier);
            }
        }).Build();
        graph.Start();
        await Task.Delay(500);
        MacLearnerCounters before = writer!.GetCounters();
        MacLearnerCounters beforeCopy = await graph.InvokeAsync<MacLearner, MacLearnerCounters>(ShardNames.Of(SwitchGraph.Learner, 1), l => l.GetCounters());
        long start = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        MacLearnerCounters after = await graph.InvokeAsync<MacLearner, MacLearnerCounters>(ShardNames.Of(SwitchGraph.Learner, 0), l => l.GetCounters());
        MacLearnerCounters afterCopy = await graph.InvokeAsync<MacLearner, MacLearnerCounters>(ShardNames.Of(SwitchGraph.Learner, 1), l => l.GetCounters());
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        await graph.StopAsync(drain: false);
        return ((after.Learned - before.Learned) / elapsed, (afterCopy.HandedOff - beforeCopy.HandedOff) / elapsed,
            (afterCopy.HandOffsDropped - beforeCopy.HandOffsDropped) / elapsed);
    }

    private static long Sunk(GraphStats stats) => s_ports.Sum(p => stats.Summed("sink_" + p.Name).Consumed);

    /// <summary>
    /// One shard: a generator per port into the switch, a sink after each port's tagger, on a
    /// busy-polling worker on CPU = shard. With <paramref name="checks"/>, each sink compares the
    /// first frame of every 16th burst with what may leave by its port — the previous port's
    /// frame, or while a station is not yet learned any port's but its own (a flood) — and adds
    /// its checker there.
    /// </summary>
    private static void Declare(ShardScope shard, Stage learner, List<FrameChecker>? checks = null, int firstCpu = 0)
    {
        shard.Worker(0, cpu: firstCpu + shard.Shard, idle: IdlePolicy.BusyPoll)
            .Add(SwitchGraph.Classifier, new VlanClassifier(new VlanClassifierOptions { Ports = s_ports }))
            .Add(SwitchGraph.Learner, learner)
            .Add(SwitchGraph.Forwarder, new L2Forwarder(new L2ForwarderOptions { Ports = s_ports }))
            .Connect(SwitchGraph.Classifier, SwitchGraph.Learner)
            .Connect(SwitchGraph.Learner, SwitchGraph.Forwarder);
        for (int i = 0; i < s_ports.Length; i++)
        {
            string port = s_ports[i].Name;
            Stage sink = new NullSink();
            if (checks is not null)
            {
                int own = i;
                FrameChecker check = FrameChecker.Exact([.. Enumerable.Range(0, s_ports.Length).Where(p => p != own).Select(p => Convert.FromHexString(Template(p).Replace(" ", "")))], sampleEvery: 16);
                checks.Add(check);
                sink = new FrameCheckSink(check);
            }
            shard.Add("gen_" + port, new Generator(new GeneratorOptions { Template = Template(i), InputPort = (ushort)i, PoolFrames = 4096 }))
                .Connect("gen_" + port, SwitchGraph.Classifier)
                .Add(SwitchGraph.TaggerOf(port), new VlanTagger())
                .Connect($"{SwitchGraph.Forwarder}:{port}", SwitchGraph.TaggerOf(port))
                .Add("sink_" + port, sink)
                .Connect(SwitchGraph.TaggerOf(port), "sink_" + port);
        }
    }

    /// <summary>Port <paramref name="index"/>'s generator frame: from its station to the next port's, 60 bytes.</summary>
    private static string Template(int index) =>
        Station(index + 1 == s_ports.Length ? 0 : index + 1) + " " + Station(index) + " 88b5" + string.Concat(Enumerable.Repeat(" 00", 46));

    /// <summary>The station behind port <paramref name="index"/> (0-based): 02:00:00:00:01:0i, i from 1.</summary>
    private static string Station(int index) => "0200000001" + (index + 1).ToString("x2", CultureInfo.InvariantCulture);
}
