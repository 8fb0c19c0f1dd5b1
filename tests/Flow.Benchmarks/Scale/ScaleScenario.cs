using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Flow.Benchmarks.Infrastructure;
using Flow.Stages.Switching;
using Flow.Stages.Vlan;

namespace Flow.Benchmarks.Scale;

/// <summary>
/// Scenario <c>scale</c>: the switch (classify, learn, forward, four taggers) at 1 and at 2
/// shards (<see cref="GraphBuilder.Shards"/>), each shard pinned to a CPU of its own and fed by
/// in-process generators, one per port and shard (so no peer needs a core), in interleaved
/// rounds. Every generator sends a 64-byte frame from its port's station to the next port's,
/// so after the first frames every frame is one unicast through the whole switch; the figure is
/// what the four sinks of every shard take per second. The router is not measured: its ARP
/// stages cannot be sharded yet (their neighbour table has one writer; docs/graph-format.md,
/// "Shards"), and the JSON says so.
/// </summary>
internal static class ScaleScenario
{
    private static readonly SwitchPortOptions[] s_ports = Enumerable.Range(1, 4)
        .Select(i => new SwitchPortOptions { Name = $"p{i}", Id = (ushort)(i - 1), Mode = VlanPortMode.Access, Vlan = 10 }).ToArray();

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 5);
        double seconds = ScenarioArgs.Double(args, "--seconds", 2.0);
        int cpus = Environment.ProcessorCount;
        if (cpus < 2)
        {
            Console.Error.WriteLine($"scale: needs 2 CPUs for 2 shards; this process may use {cpus}");
            return 1;
        }
        Console.WriteLine($"scale: switch (4 access ports, VLAN 10) at 1 and 2 shards, busy-polling shard workers on cpus 0 and 1, " +
            $"64-byte unicast frames from in-process generators (one per port and shard), {rounds} interleaved rounds of {seconds:F1} s");
        var one = new Samples();
        var two = new Samples();
        var ratios = new Samples();
        for (int round = 1; round <= rounds; round++)
        {
            double single = await MeasureAsync(1, seconds);
            double both = await MeasureAsync(2, seconds);
            one.Add(single);
            two.Add(both);
            ratios.Add(both / single);
            Console.WriteLine($"  round {round}: switch_1s {single / 1e6,8:F2} Mpps   switch_2s {both / 1e6,8:F2} Mpps   ratio {both / single:F2}");
        }
        double latency = CrossCoreLatency.MeasureNanoseconds();
        Console.WriteLine($"switch_1s {one.Median / 1e6:F2} Mpps ({one.Min / 1e6:F2}–{one.Max / 1e6:F2}), switch_2s {two.Median / 1e6:F2} Mpps ({two.Min / 1e6:F2}–{two.Max / 1e6:F2})");
        Console.WriteLine($"switch_2s/switch_1s: {ratios.Median:F2} median of the per-round ratios ({ratios.Min:F2}–{ratios.Max:F2}); target ≥ 1.80");
        Console.WriteLine($"cross-core latency: {latency:F0} ns");
        var json = new Dictionary<string, object?>
        {
            ["scenario"] = "scale",
            ["switch_1s_pps"] = Math.Round(one.Median),
            ["switch_2s_pps"] = Math.Round(two.Median),
            ["switch_2s_vs_1s"] = Math.Round(ratios.Median, 2),
            ["switch_2s_vs_1s_min"] = Math.Round(ratios.Min, 2),
            ["switch_2s_vs_1s_max"] = Math.Round(ratios.Max, 2),
            ["router_1s_pps"] = null,
            ["router_2s_pps"] = null,
            ["router_not_measured"] = "arp and arp_resolve cannot be sharded yet: their neighbour table has one writer",
            ["cross_core_latency_ns"] = Math.Round(latency),
        };
        Console.WriteLine(JsonSerializer.Serialize(json));
        return 0;
    }

    /// <summary>Packets per second the sinks of every shard took over a window after a warm-up.</summary>
    private static async Task<double> MeasureAsync(int shards, double seconds)
    {
        // One MAC table for all shards, as switch.json has: shard 0's learner writes it, the others read it.
        MacLearner? writer = null;
        await using FlowGraph graph = new GraphBuilder().Shards(shards, shard => Declare(shard, shard.Shard == 0
            ? writer = new MacLearner(new MacLearnerOptions())
            : writer!.CopyForShard(shard.Shard, shard.Count))).Build();
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
        if (stats.Summed("forward").DroppedTotal > 0 || flooded > 1000)
        {
            throw new InvalidOperationException($"scale: the switch at {shards} shards did not forward unicast: " + string.Join("; ", stats.Stages));
        }
        return (after - before) / elapsed;
    }

    private static long Sunk(GraphStats stats) => s_ports.Sum(p => stats.Summed("sink_" + p.Name).Consumed);

    /// <summary>One shard: a generator per port into the switch, a sink after each port's tagger, on a busy-polling worker on CPU = shard.</summary>
    private static void Declare(ShardScope shard, Stage learner)
    {
        shard.Worker(0, cpu: shard.Shard, idle: IdlePolicy.BusyPoll)
            .Add(SwitchGraph.Classifier, new VlanClassifier(new VlanClassifierOptions { Ports = s_ports }))
            .Add(SwitchGraph.Learner, learner)
            .Add(SwitchGraph.Forwarder, new L2Forwarder(new L2ForwarderOptions { Ports = s_ports }))
            .Connect(SwitchGraph.Classifier, SwitchGraph.Learner)
            .Connect(SwitchGraph.Learner, SwitchGraph.Forwarder);
        for (int i = 0; i < s_ports.Length; i++)
        {
            string port = s_ports[i].Name;
            string template = Station(i + 1 == s_ports.Length ? 0 : i + 1) + " " + Station(i) + " 88b5" + string.Concat(Enumerable.Repeat(" 00", 46));
            shard.Add("gen_" + port, new Generator(new GeneratorOptions { Template = template, InputPort = (ushort)i, PoolFrames = 4096 }))
                .Connect("gen_" + port, SwitchGraph.Classifier)
                .Add(SwitchGraph.TaggerOf(port), new VlanTagger())
                .Connect($"{SwitchGraph.Forwarder}:{port}", SwitchGraph.TaggerOf(port))
                .Add("sink_" + port, new NullSink())
                .Connect(SwitchGraph.TaggerOf(port), "sink_" + port);
        }
    }

    /// <summary>The station behind port <paramref name="index"/> (0-based): 02:00:00:00:01:0i, i from 1.</summary>
    private static string Station(int index) => "0200000001" + (index + 1).ToString("x2", CultureInfo.InvariantCulture);
}
