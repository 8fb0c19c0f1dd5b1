using System.Diagnostics;
using System.Text.Json;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>
/// Scenario <c>pipeline</c>: one workload — classify (ethertype, IPv4 destination); forward
/// (TTL decrement with incremental checksum, MAC rewrite); count — on 64-byte frames, run by:
/// <code>
///  hand_rtc          one thread, bursts of 32: alloc from Flow's own PacketPool, classify, forward, count, free (the limit)
///  flow_1w           [rx → classify → forward → count → sink]                      worker 0 @ cpu 1
///  flow_2w           [rx → classify] ══ring══> [forward → count → sink]            cpu 0 ══> cpu 1
///  flow_sharded_2w   [rx → classify → forward → count → sink] × 2                  cpu 0 and cpu 1
///  dataflow          producer → TransformBlock → TransformBlock → ActionBlock      batches of 32
///  channels          producer → Channel → task → Channel → task → Channel → task   batches of 32
///  heavy_flow_1w     [rx → classify → lpm(1M routes) → flow table → forward → count → sink]  cpu 1
///  heavy_flow_2w     [rx → classify → lpm] ══ring══> [flow table → forward → count → sink]
///  hand_2w, heavy_hand_1w, heavy_hand_2w   the same splits hand-written (plain loops, one SPSC ring):
///                    what this machine allows a pipeline at all, the reference for Flow's 2w figures
///  flow_1w_noop_observer  flow_1w with a do-nothing observer on forward: an upper bound of the
///                    trace/capture hook when nothing traces (then it is one null test per batch)
///  flow_1w_tracing   flow_1w while 'trace start --count 1000' runs (through the control socket)
///  flow_1w_capturing flow_1w while 'capture start forward:out' writes every packet to a pcapng file
/// </code>
/// Variants run interleaved (A B C … A B C …) for several rounds; each run warms up, then
/// counts packets delivered in a fixed window. Figures are medians with min–max; the cross-core
/// latency is measured in every round. Every Flow run verifies itself before its figure counts:
/// conservation holds for every stage and ring and every frame went back to its pool.
/// hand_rtc uses Flow's PacketPool, so a slow pool would slow both it and flow_1w; its pool's
/// share is hand_rtc vs hand_rtc_no_pool. The run prints the per-packet gap between flow_1w and
/// hand_rtc, the cost of one more stage hop (flow_1w_4_counters), and flow_1w's per-stage cost.
/// Content: in-process, the frames never leave Flow's pool (nothing foreign to compare with).
/// </summary>
internal static class PipelineScenario
{
    private const int PoolFrames = 2048;
    private const int Routes = 1 << 20;
    private static int s_burst = 32;

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 5);
        s_burst = ScenarioArgs.Int(args, "--burst", 32);
        double seconds = ScenarioArgs.Double(args, "--seconds", 1.0);
        var warm = TimeSpan.FromMilliseconds(300);
        var window = TimeSpan.FromSeconds(seconds);
        Console.WriteLine($"pipeline: {rounds} rounds, {seconds:F1} s window, 64-byte frames, {Environment.ProcessorCount} cpus");
        Console.Write("building 1M-route LPM table and 4M-slot flow table ... ");
        using var lpm = new Dir24Lpm();
        uint[] destinations = BuildRoutes(lpm);
        using var flows = new FlowTable(4 * Routes);
        Console.WriteLine("done");

        // flow_rx_sink and flow_1w_4_counters are diagnostics: the cost of a packet's trip from
        // pool to pool through the runtime, and the marginal cost of a trivial stage.
        var variants = new (string Name, Func<Task<Run>> Run)[]
        {
            ("hand_rtc", () => Task.FromResult(HandLoop(window, warm, pool: true))),
            ("flow_1w", () => Flow1Worker(window, warm)),
            ("flow_2w", () => Flow2Workers(window, warm)),
            ("flow_sharded_2w", () => FlowSharded(window, warm)),
            ("dataflow", () => Reference(ReferencePipelines.StartDataflow, window, warm)),
            ("channels", () => Reference(ReferencePipelines.StartChannels, window, warm)),
            ("heavy_flow_1w", () => Heavy(lpm, flows, destinations, twoWorkers: false, window, warm)),
            ("flow_rx_sink", () => FlowRxSink(window, warm)),
            ("hand_rtc_no_pool", () => Task.FromResult(HandLoop(window, warm, pool: false))),
            ("flow_1w_4_counters", () => Flow1Worker(window, warm, extraCounters: 4)),
            ("heavy_flow_2w", () => Heavy(lpm, flows, destinations, twoWorkers: true, window, warm)),
            ("hand_2w", () => Task.FromResult(Hand(null, null, [], twoThreads: true, window, warm))),
            ("heavy_hand_1w", () => Task.FromResult(Hand(lpm, flows, destinations, twoThreads: false, window, warm))),
            ("heavy_hand_2w", () => Task.FromResult(Hand(lpm, flows, destinations, twoThreads: true, window, warm))),
            ("flow_1w_noop_observer", () => Flow1Worker(window, warm, live: LiveOperation.NoopObserver)),
            ("flow_1w_tracing", () => Flow1Worker(window, warm, live: LiveOperation.Tracing)),
            ("flow_1w_capturing", () => Flow1Worker(window, warm, live: LiveOperation.Capturing)),
        };
        string? only = ScenarioArgs.String(args, "--only");
        if (only is not null)
        {
            var chosen = only.Split(',');
            variants = variants.Where(v => chosen.Contains(v.Name)).ToArray();
        }
        var pps = new[] { "hand_rtc", "flow_1w", "flow_2w", "flow_sharded_2w", "dataflow", "channels", "heavy_flow_1w", "heavy_flow_2w", "flow_rx_sink", "flow_1w_4_counters", "hand_rtc_no_pool", "hand_2w", "heavy_hand_1w", "heavy_hand_2w",
            "flow_1w_noop_observer", "flow_1w_tracing", "flow_1w_capturing" }
            .ToDictionary(name => name, _ => new Samples());
        var cpuPps = pps.Keys.ToDictionary(name => name, _ => new Samples());
        var latency = new Samples();
        var bytesPerPacket = new Samples();
        var stageNs = new Dictionary<string, Samples>();
        var captureNotes = new List<string>();
        for (int round = 1; round <= rounds; round++)
        {
            double ns = CrossCoreLatency.MeasureNanoseconds();
            latency.Add(ns);
            Console.Write($"round {round}: cross-core {ns:F0} ns |");
            foreach ((string name, Func<Task<Run>> run) in variants)
            {
                Run result = await run();
                pps[name].Add(result.PacketsPerSecond);
                cpuPps[name].Add(result.PacketsPerCpuSecond);
                if (name == "flow_1w")
                {
                    bytesPerPacket.Add(result.AllocatedBytesPerPacket);
                    foreach ((string stage, double stageCost) in result.StageNanoseconds ?? new Dictionary<string, double>())
                    {
                        (stageNs.TryGetValue(stage, out Samples? st) ? st : stageNs[stage] = new Samples()).Add(stageCost);
                    }
                }
                if (result.LiveNote is { } note)
                {
                    captureNotes.Add($"round {round} {name}: {note}");
                }
                Console.Write($" {name} {result.PacketsPerSecond / 1e6:F1}");
            }
            Console.WriteLine();
        }

        double hand = pps["hand_rtc"].Median;
        Console.WriteLine();
        double handCpu = cpuPps["hand_rtc"].Median;
        Console.WriteLine($"{"variant",-18} {"Mpps median",12} {"min–max",16} {"× hand_rtc",11} {"Mpkt per cpu-s",15} {"× hand_rtc",11}");
        foreach ((string name, _) in variants)
        {
            Samples s = pps[name];
            Samples c = cpuPps[name];
            Console.WriteLine($"{name,-18} {s.Median / 1e6,12:F2} {$"{s.Min / 1e6:F1}–{s.Max / 1e6:F1}",16} {s.Median / hand,11:F2} {c.Median / 1e6,15:F2} {c.Median / handCpu,11:F2}");
        }
        Console.WriteLine("(per cpu-second: packets divided by the CPU time the worker threads actually ran; the cost figure that survives a busy machine)");
        Console.WriteLine($"cross-core latency: median {latency.Median:F0} ns (min {latency.Min:F0}, max {latency.Max:F0})");
        Console.WriteLine($"flow_1w allocation: {bytesPerPacket.Max:F4} bytes per packet (worst round)");
        // Where flow_1w's gap to hand_rtc comes from, per packet. hand_rtc runs the same work with
        // Flow's own PacketPool (alloc a burst, free it): the gap is the graph runtime, not the pool.
        double NsPerPacket(string name) => 1e9 / pps[name].Median;
        double handNs = NsPerPacket("hand_rtc");
        double flowNs = NsPerPacket("flow_1w");
        double hopNs = (NsPerPacket("flow_1w_4_counters") - flowNs) / 4;
        double tripNs = NsPerPacket("flow_rx_sink") - NsPerPacket("hand_rtc_no_pool");
        Console.WriteLine($"per packet (1e9 / median pps): hand_rtc {handNs:F1} ns (work + Flow's pool), flow_1w {flowNs:F1} ns, gap {flowNs - handNs:F1} ns; " +
            $"hand_rtc_no_pool {NsPerPacket("hand_rtc_no_pool"):F1} ns (pool's share {handNs - NsPerPacket("hand_rtc_no_pool"):F1} ns)");
        Console.WriteLine($"hop cost: one more trivial stage {hopNs:F1} ns/packet (flow_1w_4_counters vs flow_1w, /4); " +
            $"flow_1w's graph has {stageNs.Count} stages, so ~{hopNs * (stageNs.Count - 1):F1} ns of the gap is hops between them");
        Console.WriteLine("flow_1w stages (sampled ns/packet, median): " + string.Join(", ", stageNs.Select(kv => $"{kv.Key} {kv.Value.Median:F1}")));
        double flow1w = pps["flow_1w"].Median;
        Console.WriteLine($"live operations vs flow_1w (same rounds): no-op observer {pps["flow_1w_noop_observer"].Median / flow1w:F3} " +
            $"(upper bound of the idle trace hook, {(1 - pps["flow_1w_noop_observer"].Median / flow1w) * 100:F1} %), " +
            $"tracing 1000 packets {pps["flow_1w_tracing"].Median / flow1w:F3}, capturing forward:out to a file {pps["flow_1w_capturing"].Median / flow1w:F3}");
        foreach (string note in captureNotes)
        {
            Console.WriteLine("  " + note);
        }
        Console.WriteLine();
        Target("flow_1w ≥ 0.8 × hand_rtc", pps["flow_1w"].Median / hand, 0.8);
        Target("flow_1w ≥ 1.2 × dataflow", pps["flow_1w"].Median / pps["dataflow"].Median, 1.2);
        Target("flow_1w ≥ 3 × channels", pps["flow_1w"].Median / pps["channels"].Median, 3.0);
        Target("flow_sharded_2w ≥ 1.5 × flow_1w", pps["flow_sharded_2w"].Median / pps["flow_1w"].Median, 1.5);
        Target("heavy_flow_2w ≥ 1.5 × heavy_flow_1w", pps["heavy_flow_2w"].Median / pps["heavy_flow_1w"].Median, 1.5);
        Console.WriteLine($"what this machine allows a two-core pipeline (hand-written, no framework): hand_2w = {pps["hand_2w"].Median / hand:F2} × hand_rtc, " +
            $"heavy_hand_2w = {pps["heavy_hand_2w"].Median / pps["heavy_hand_1w"].Median:F2} × heavy_hand_1w; Flow: heavy_flow_1w = {pps["heavy_flow_1w"].Median / pps["heavy_hand_1w"].Median:F2} × heavy_hand_1w, " +
            $"heavy_flow_2w = {pps["heavy_flow_2w"].Median / pps["heavy_hand_2w"].Median:F2} × heavy_hand_2w");

        static double Finite(double value) => double.IsFinite(value) ? value : 0;
        var json = new Dictionary<string, object>
        {
            ["scenario"] = "pipeline",
            ["hand_rtc_pool"] = "Flow PacketPool (thread caches on)",
            ["hand_rtc_ns_per_packet"] = Math.Round(Finite(handNs), 2),
            ["flow_1w_ns_per_packet"] = Math.Round(Finite(flowNs), 2),
            ["hop_ns_per_stage"] = Math.Round(Finite(hopNs), 2),
            ["flow_1w_stage_ns"] = stageNs.ToDictionary(kv => kv.Key, kv => Math.Round(Finite(kv.Value.Median), 2)),
            ["hand_rtc_pps"] = Math.Round(Finite(hand)),
            ["flow_1w_pps"] = Math.Round(Finite(pps["flow_1w"].Median)),
            ["flow_2w_pps"] = Math.Round(Finite(pps["flow_2w"].Median)),
            ["flow_sharded_2w_pps"] = Math.Round(Finite(pps["flow_sharded_2w"].Median)),
            ["cross_core_latency_ns"] = Math.Round(Finite(latency.Median), 1),
            ["dataflow_pps"] = Math.Round(Finite(pps["dataflow"].Median)),
            ["channels_pps"] = Math.Round(Finite(pps["channels"].Median)),
            ["heavy_flow_1w_pps"] = Math.Round(Finite(pps["heavy_flow_1w"].Median)),
            ["heavy_flow_2w_pps"] = Math.Round(Finite(pps["heavy_flow_2w"].Median)),
            ["flow_bytes_per_packet"] = Math.Round(Finite(bytesPerPacket.Max), 4),
            ["hand_rtc_no_pool_pps"] = Math.Round(Finite(pps["hand_rtc_no_pool"].Median)),
            ["flow_rx_sink_pps"] = Math.Round(Finite(pps["flow_rx_sink"].Median)),
            ["hand_2w_pps"] = Math.Round(Finite(pps["hand_2w"].Median)),
            ["heavy_hand_1w_pps"] = Math.Round(Finite(pps["heavy_hand_1w"].Median)),
            ["heavy_hand_2w_pps"] = Math.Round(Finite(pps["heavy_hand_2w"].Median)),
            ["flow_1w_noop_observer_pps"] = Math.Round(Finite(pps["flow_1w_noop_observer"].Median)),
            ["flow_1w_tracing_pps"] = Math.Round(Finite(pps["flow_1w_tracing"].Median)),
            ["flow_1w_capturing_pps"] = Math.Round(Finite(pps["flow_1w_capturing"].Median)),
            ["noop_observer_vs_flow_1w"] = Math.Round(Finite(pps["flow_1w_noop_observer"].Median / flow1w), 4),
            ["tracing_vs_flow_1w"] = Math.Round(Finite(pps["flow_1w_tracing"].Median / flow1w), 4),
            ["capturing_vs_flow_1w"] = Math.Round(Finite(pps["flow_1w_capturing"].Median / flow1w), 4),
        };
        Console.WriteLine(JsonSerializer.Serialize(json));
        return 0;
    }

    private static void Target(string name, double ratio, double goal) =>
        Console.WriteLine($"target {name}: {ratio:F2} → {(ratio >= goal ? "met" : $"MISSED by {(1 - ratio / goal) * 100:F0} %")}");

    private sealed record Run(double PacketsPerSecond, double AllocatedBytesPerPacket, double PacketsPerCpuSecond = double.NaN,
        IReadOnlyDictionary<string, double>? StageNanoseconds = null, string? LiveNote = null);

    private static unsafe Run HandLoop(TimeSpan window, TimeSpan warm, bool pool)
    {
        // The limit, as a C programmer writes it: one thread, bursts of 32. With the pool it is
        // what every real rx → work → tx loop does (a NIC's rx takes fresh buffers from a
        // mempool, tx gives them back: DPDK's l3fwd); hand_rtc_no_pool recycles one burst of
        // frames without any pool, a loop no packet program can run, kept to show the pool's share.
        using var rx = new BenchRx(PoolFrames, []);
        var frames = new Packet[32];
        if (!pool)
        {
            rx.Pool.AllocateBulk(frames);
        }
        long delivered = 0;
        long bytes = 0;
        long measuredPackets = 0;
        double measuredSeconds = 0;
        long cpuNanoseconds = 0;
        var thread = new Thread(() =>
        {
            OsThread.Pin(Environment.ProcessorCount - 1);
            PacketPool.EnableThreadCaches();
            int tid = OsThread.CurrentId;
            long cpuStart = 0;
            long warmEnd = Stopwatch.GetTimestamp() + (long)(warm.TotalSeconds * Stopwatch.Frequency);
            long start = 0;
            long startCount = 0;
            long end = long.MaxValue;
            PacketPool packets = rx.Pool;
            while (true)
            {
                int n = pool ? packets.AllocateBulk(frames) : frames.Length;
                for (int i = 0; i < n; i++)
                {
                    Packet packet = frames[i];
                    PacketWork.Receive(packet, 0);
                    if (PacketWork.Classify(packet) && PacketWork.Forward(packet))
                    {
                        delivered++;
                        bytes += packet.Length;
                    }
                }
                if (pool)
                {
                    packets.FreeBulk(frames.AsSpan(0, n));
                }
                if ((delivered & 0xFFFF) < 32)
                {
                    long now = Stopwatch.GetTimestamp();
                    if (start == 0 && now >= warmEnd)
                    {
                        start = now;
                        startCount = delivered;
                        cpuStart = ThreadCpuTime.Nanoseconds(tid);
                        end = now + (long)(window.TotalSeconds * Stopwatch.Frequency);
                    }
                    else if (now >= end)
                    {
                        measuredPackets = delivered - startCount;
                        measuredSeconds = (double)(now - start) / Stopwatch.Frequency;
                        cpuNanoseconds = ThreadCpuTime.Nanoseconds(tid) - cpuStart;
                        PacketPool.ReleaseThreadCaches();
                        return;
                    }
                }
            }
        });
        thread.Start();
        thread.Join();
        if (!pool)
        {
            rx.Pool.FreeBulk(frames);
        }
        if (rx.Pool.Outstanding != 0)
        {
            throw new InvalidOperationException($"{rx.Pool.Outstanding} frames never returned to their pool");
        }
        GC.KeepAlive(bytes);
        return new Run(measuredPackets / measuredSeconds, 0, measuredPackets / (cpuNanoseconds / 1e9));
    }

    private static Run Hand(Dir24Lpm? lpm, FlowTable? flows, uint[] destinations, bool twoThreads, TimeSpan window, TimeSpan warm)
    {
        HandPipeline.Result result = HandPipeline.Run(lpm, flows, destinations, twoThreads, window, warm);
        return new Run(result.PacketsPerSecond, 0, result.PacketsPerCpuSecond);
    }

    private static Task<Run> Flow1Worker(TimeSpan window, TimeSpan warm, int extraCounters = 0, LiveOperation live = LiveOperation.None)
    {
        var rx = new BenchRx(PoolFrames, []);
        var count = new Counter();
        GraphBuilder builder = new GraphBuilder().WithBurst(s_burst)
            .Worker(0, cpu: Environment.ProcessorCount - 1, idle: IdlePolicy.BusyPoll)
            .Add("rx", rx).Add("classify", new Ipv4Classify()).Add("forward", new TtlForward())
            .Add("count", count).Add("sink", new NullSink()).Add("other", new Dropper())
            .Connect("rx", "classify").Connect("classify:ipv4", "forward").Connect("classify:other", "other");
        string last = "forward";
        for (int i = 0; i < extraCounters; i++)
        {
            builder.Add($"extra{i}", new Counter()).Connect(last, $"extra{i}");
            last = $"extra{i}";
        }
        FlowGraph graph = builder.Connect(last, "count").Connect("count", "sink").Build();
        return Measure(graph, () => count.Packets, [rx.Pool], window, warm, live);
    }

    private static Task<Run> FlowRxSink(TimeSpan window, TimeSpan warm)
    {
        var rx = new BenchRx(PoolFrames, []);
        var count = new Counter();
        FlowGraph graph = new GraphBuilder().WithBurst(s_burst)
            .Worker(0, cpu: Environment.ProcessorCount - 1, idle: IdlePolicy.BusyPoll)
            .Add("rx", rx).Add("count", count).Add("sink", new NullSink())
            .Connect("rx", "count").Connect("count", "sink")
            .Build();
        return Measure(graph, () => count.Packets, [rx.Pool], window, warm);
    }

    private static Task<Run> Flow2Workers(TimeSpan window, TimeSpan warm)
    {
        var rx = new BenchRx(PoolFrames, []);
        var count = new Counter();
        FlowGraph graph = new GraphBuilder().WithBurst(s_burst)
            .Worker(0, cpu: 0, idle: IdlePolicy.BusyPoll).Worker(1, cpu: 1, idle: IdlePolicy.BusyPoll)
            .Add("rx", rx, 0).Add("classify", new Ipv4Classify(), 0).Add("other", new Dropper(), 0)
            .Add("forward", new TtlForward(), 1).Add("count", count, 1).Add("sink", new NullSink(), 1)
            .Connect("rx", "classify").Connect("classify:ipv4", "forward").Connect("classify:other", "other")
            .Connect("forward", "count").Connect("count", "sink")
            .Build();
        return Measure(graph, () => count.Packets, [rx.Pool], window, warm);
    }

    private static Task<Run> FlowSharded(TimeSpan window, TimeSpan warm)
    {
        var builder = new GraphBuilder().WithBurst(s_burst);
        var counters = new Counter[2];
        var pools = new PacketPool[2];
        for (int w = 0; w < 2; w++)
        {
            var rx = new BenchRx(PoolFrames, []);
            pools[w] = rx.Pool;
            counters[w] = new Counter();
            builder.Worker(w, cpu: w, idle: IdlePolicy.BusyPoll)
                .Add($"rx{w}", rx, w).Add($"classify{w}", new Ipv4Classify(), w).Add($"other{w}", new Dropper(), w)
                .Add($"forward{w}", new TtlForward(), w).Add($"count{w}", counters[w], w).Add($"sink{w}", new NullSink(), w)
                .Connect($"rx{w}", $"classify{w}").Connect($"classify{w}:ipv4", $"forward{w}").Connect($"classify{w}:other", $"other{w}")
                .Connect($"forward{w}", $"count{w}").Connect($"count{w}", $"sink{w}");
        }
        return Measure(builder.Build(), () => counters[0].Packets + counters[1].Packets, pools, window, warm);
    }

    private static Task<Run> Heavy(Dir24Lpm lpm, FlowTable flows, uint[] destinations, bool twoWorkers, TimeSpan window, TimeSpan warm)
    {
        var rx = new BenchRx(PoolFrames, destinations);
        var count = new Counter();
        int second = twoWorkers ? 1 : 0;
        var builder = new GraphBuilder().WithBurst(s_burst);
        if (twoWorkers)
        {
            builder.Worker(0, cpu: 0, idle: IdlePolicy.BusyPoll).Worker(1, cpu: 1, idle: IdlePolicy.BusyPoll);
        }
        else
        {
            builder.Worker(0, cpu: Environment.ProcessorCount - 1, idle: IdlePolicy.BusyPoll);
        }
        FlowGraph graph = builder
            .Add("rx", rx, 0).Add("classify", new Ipv4Classify(), 0).Add("other", new Dropper(), 0)
            .Add("lpm", new LpmRoute(lpm), 0)
            .Add("flows", new FlowAccount(flows), second).Add("forward", new TtlForward(), second)
            .Add("count", count, second).Add("sink", new NullSink(), second)
            .Connect("rx", "classify").Connect("classify:ipv4", "lpm").Connect("classify:other", "other")
            .Connect("lpm", "flows").Connect("flows", "forward").Connect("forward", "count").Connect("count", "sink")
            .Build();
        return Measure(graph, () => count.Packets, [rx.Pool], window, warm);
    }

    private static async Task<Run> Measure(FlowGraph graph, Func<long> delivered, PacketPool[] pools, TimeSpan window, TimeSpan warm,
        LiveOperation live = LiveOperation.None)
    {
        using (graph)
        {
            await using LiveSession session = await LiveSession.BeforeStartAsync(graph, live, "forward:out");
            graph.Start();
            await session.AfterStartAsync();
            Thread.Sleep(warm);
            int[] workerThreads = graph.GetStats().Workers.Select(w => w.OsThreadId).ToArray();
            long before = delivered();
            long cpuBefore = ThreadCpuTime.Nanoseconds(workerThreads);
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            Thread.Sleep(window);
            long after = delivered();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            long cpu = ThreadCpuTime.Nanoseconds(workerThreads) - cpuBefore;
            WorkerStats[] workersAtEnd = graph.GetStats().Workers.ToArray();
            string? note = await session.StopAsync();
            await graph.StopAsync(drain: true);
            GraphStats stats = graph.GetStats();
            if (Environment.GetEnvironmentVariable("FLOW_BENCH_VERBOSE") == "1")
            {
                Console.Write($" [busy {string.Join("/", workersAtEnd.Select(w => $"{w.BusyRatio:P0} of {w.Passes}"))}]");
            }
            if (!stats.IsBalanced)
            {
                throw new InvalidOperationException("conservation broken: " + string.Join("; ", stats.Stages.Where(s => !s.IsBalanced)));
            }
            if (stats.Stages.Any(s => s.Drops.Any(d => d.Packets > 0)))
            {
                throw new InvalidOperationException("unexpected drops: " + string.Join("; ", stats.Stages.SelectMany(s => s.Drops.Where(d => d.Packets > 0).Select(d => $"{s.Name}:{d.Reason}={d.Packets}"))));
            }
            int outstanding = pools.Sum(p => p.Outstanding);
            if (outstanding != 0)
            {
                throw new InvalidOperationException($"{outstanding} frames never returned to their pool");
            }
            long packets = after - before;
            var stageNs = stats.Stages.Where(st => st.In + st.Emitted > 0).ToDictionary(st => st.Name, st => st.NanosecondsPerPacket ?? double.NaN);
            return new Run(packets / elapsed, packets == 0 ? 0 : (double)allocated / packets, packets / (cpu / 1e9), stageNs, note);
        }
    }

    private static async Task<Run> Reference(Func<PacketPool, CancellationToken, (Task Completion, Func<long> Delivered)> start,
        TimeSpan window, TimeSpan warm)
    {
        using var rx = new BenchRx(PoolFrames, []);
        using var stop = new CancellationTokenSource();
        (Task completion, Func<long> delivered) = start(rx.Pool, stop.Token);
        await Task.Delay(warm);
        long before = delivered();
        long t0 = Stopwatch.GetTimestamp();
        await Task.Delay(window);
        long after = delivered();
        double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        stop.Cancel();
        await completion;
        if (rx.Pool.Outstanding != 0)
        {
            throw new InvalidOperationException($"{rx.Pool.Outstanding} frames never returned to their pool");
        }
        return new Run((after - before) / elapsed, double.NaN);
    }

    /// <summary>A million random /24 routes plus a default route; destinations drawn inside them.</summary>
    private static uint[] BuildRoutes(Dir24Lpm lpm)
    {
        var random = new Random(20261123);
        lpm.Add(0, 0, 1);
        var destinations = new uint[Routes];
        for (int i = 0; i < Routes; i++)
        {
            uint prefix = (uint)random.Next(1 << 24) << 8;
            lpm.Add(prefix, 24, (uint)(2 + (i & 0xFF)));
            destinations[i] = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(prefix | (uint)random.Next(256));
        }
        return destinations;
    }
}
