using System.Diagnostics;
using System.Text.Json;
using Flow.Backends.Memif;
using Flow.Benchmarks.Infrastructure;
using Flow.Stages.Switching;
using Flow.TestKit;

namespace Flow.Benchmarks.Switch;

/// <summary>
/// Scenario <c>switch</c> (issue 8): Flow's L2 switch graph against DPDK's <c>l2fwd</c> example
/// in the same memif topology, then (unless <c>--memif-only</c>) Flow's switch on AF_XDP
/// against a Linux bridge and Open vSwitch's userspace datapath between Linux hosts on veth
/// (<see cref="SwitchVethBench"/>).
/// <code>
///  l2fwd:        testpmd io @cpu1 [p0 p1] ══memif×2══ [p0 p1] l2fwd @cpu0 (p0 → p1, p1 → p0)
///  flow_switch:  testpmd io @cpu1 [p0 p1] ══memif×2══ [mif_a mif_b] Flow switch graph @cpu0
///                memif_rx ×2 → classify → learn → forward → tag_mif_a/b → memif_tx ×2, one worker
/// </code>
/// testpmd is the memif server on both ports, <c>--forward-mode=io</c> (p0 rx → p1 tx and back),
/// <c>start tx_first</c> puts a burst per port into the loop; the forwarder under test is the
/// client. The figure is the forwarder's rate as testpmd sees it: packets received on both
/// testpmd ports per second over the window, after a warm-up.
/// MACs: testpmd's ports are 02:fb:00:00:00:01 (p0) and :02 (p1), and each port's eth-peer is
/// the other port, so frames leaving p1 carry p1 → p0 and frames leaving p0 carry p0 → p1; io
/// forwarding never rewrites them. The switch therefore learns :02 on mif_b and :01 on mif_a
/// from the first frames and then forwards known unicast (the run prints its learned table and
/// unicast/flooded counts). l2fwd rewrites both MACs of every frame (its default
/// MAC updating); testpmd does not look at them.
/// Variants run interleaved (l2fwd, flow_switch, l2fwd, …); figures are medians with min–max, and
/// the headline ratio is the median of each round's flow_switch/l2fwd (the pair seconds apart).
/// Last line: <c>{"scenario":"switch","l2fwd_pps":…,"flow_switch_pps":…, …}</c>.
/// </summary>
public static class SwitchScenario
{
    internal const int MeasuredCpu = 0;
    internal const int PeerCpu = 1;
    private const string MacP0 = "02:fb:00:00:00:01";
    private const string MacP1 = "02:fb:00:00:00:02";
    private const int Stations = 4096;
    private const int FramesPerSide = 8192;
    private const int OpenLoopCheckEvery = 16;

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 5);
        double seconds = ScenarioArgs.Double(args, "--seconds", 3.0);
        int bursts = ScenarioArgs.Int(args, "--bursts", 1);
        bool memif = !args.Contains("--veth-only");
        bool veth = !args.Contains("--memif-only");
        var json = new Dictionary<string, object?> { ["scenario"] = "switch" };
        int failures = 0;
        if (memif)
        {
            failures += await RunMemifAsync(rounds, seconds, bursts, ScenarioArgs.String(args, "--only"), json);
        }
        if (veth)
        {
            failures += await SwitchVethBench.RunAsync(args, json);
        }
        Console.WriteLine(JsonSerializer.Serialize(json));
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> RunMemifAsync(int rounds, double seconds, int bursts, string? only, Dictionary<string, object?> json)
    {
        if (!File.Exists("/usr/bin/dpdk-testpmd"))
        {
            Console.Error.WriteLine("switch: dpdk-testpmd is required (apt-get install dpdk)");
            return 1;
        }
        string? l2fwd = L2fwdPeer.Locate(out string why);
        if (l2fwd is null)
        {
            Console.Error.WriteLine("switch: DPDK l2fwd is required: " + why);
            return 1;
        }
        var window = TimeSpan.FromSeconds(seconds);
        Console.WriteLine($"switch (memif): {rounds} rounds, {seconds:F1} s window, 1 s warm-up, 64-byte frames, " +
            $"testpmd io forwarding (server, 2 ports) on cpu {PeerCpu}, forwarder (client) on cpu {MeasuredCpu}, start tx_first {bursts}");
        Console.WriteLine($"  l2fwd: {l2fwd} -p 0x3 -q 2 (MAC updating on: rewrites dst 02:00:00:00:00:0<port>, src <port MAC>)");
        Console.WriteLine($"  flow_switch: SwitchGraph (vlan_classifier → mac_learner → l2_forwarder → vlan_tagger), access ports mif_a/mif_b in VLAN 1, one worker (busy poll)");
        Console.WriteLine($"  MACs: testpmd p0 {MacP0} ↔ p1 {MacP1}, each p's eth-peer the other: the switch learns both and forwards known unicast");
        string traffic = Directory.CreateTempSubdirectory("flow-switch-").FullName;
        try
        {
            (string A, string B) four = StationTraffic.Write(traffic, Stations, FramesPerSide, [64]);
            (string A, string B) imix = StationTraffic.Write(traffic, Stations, FramesPerSide, StationTraffic.Imix);
            var content = new ContentTally();
            var variants = new (string Name, Func<Task<double>> Run)[]
            {
                ("l2fwd", () => Task.FromResult(RunL2fwd(l2fwd, window, bursts, zeroCopy: false, null))),
                ("l2fwd_zc", () => Task.FromResult(RunL2fwd(l2fwd, window, bursts, zeroCopy: true, null))),
                ("flow_switch", () => RunFlowSwitch(window, bursts, null, content)),
                ("l2fwd_4k", () => Task.FromResult(RunL2fwd(l2fwd, window, bursts, zeroCopy: false, four))),
                ("l2fwd_zc_4k", () => Task.FromResult(RunL2fwd(l2fwd, window, bursts, zeroCopy: true, four))),
                ("flow_switch_4k", () => RunFlowSwitch(window, bursts, four, content)),
                ("l2fwd_imix", () => Task.FromResult(RunL2fwd(l2fwd, window, bursts, zeroCopy: false, imix))),
                ("l2fwd_zc_imix", () => Task.FromResult(RunL2fwd(l2fwd, window, bursts, zeroCopy: true, imix))),
                ("flow_switch_imix", () => RunFlowSwitch(window, bursts, imix, content)),
                ("flow_switch_tracing", () => RunFlowSwitch(window, bursts, null, content, LiveOperation.Tracing)),
                ("flow_switch_capturing", () => RunFlowSwitch(window, bursts, null, content, LiveOperation.Capturing)),
            };
            if (only is not null)
            {
                string[] chosen = only.Split(',');
                variants = variants.Where(v => chosen.Contains(v.Name)).ToArray();
            }
            (string Flow, string Reference)[] pairs =
            [
                ("flow_switch", "l2fwd"), ("flow_switch", "l2fwd_zc"),
                ("flow_switch_4k", "l2fwd_4k"), ("flow_switch_4k", "l2fwd_zc_4k"),
                ("flow_switch_imix", "l2fwd_imix"), ("flow_switch_imix", "l2fwd_zc_imix"),
                ("flow_switch_tracing", "flow_switch"), ("flow_switch_capturing", "flow_switch"),
            ];
            InterleavedRounds measured = await InterleavedRounds.RunAsync(rounds, variants, pairs);
            Dictionary<string, Samples> samples = measured.Samples;
            Console.WriteLine($"{"variant",-16} {"Mpps median",12} {"min–max",18}");
            foreach ((string name, _) in variants)
            {
                Samples s = samples[name];
                Console.WriteLine($"{name,-16} {s.Median / 1e6,12:F3} {$"{s.Min / 1e6:F3}–{s.Max / 1e6:F3}",18}");
            }
            foreach ((string flow, string reference) in pairs.Where(p => samples.ContainsKey(p.Flow) && samples.ContainsKey(p.Reference)))
            {
                Samples ratios = measured.PairedRatios[(flow, reference)];
                Console.WriteLine($"{flow}/{reference}: {ratios.Median:F2} median of the rounds' ratios (min–max {ratios.Min:F2}–{ratios.Max:F2}), " +
                    $"{samples[flow].Median / samples[reference].Median:F2} ratio of the medians" +
                    (reference.StartsWith("l2fwd", StringComparison.Ordinal) ? " (target ≥ 1.00)" : " (the cost of the live operation)"));
                string key = $"{flow}_vs_{reference}";
                json[key] = double.IsNaN(ratios.Median) ? null : Math.Round(ratios.Median, 3);
                json[key + "_min"] = double.IsNaN(ratios.Min) ? null : Math.Round(ratios.Min, 3);
                json[key + "_max"] = double.IsNaN(ratios.Max) ? null : Math.Round(ratios.Max, 3);
            }
            Console.WriteLine($"cross-core latency: median {measured.Latency.Median:F0} ns (min {measured.Latency.Min:F0}, max {measured.Latency.Max:F0})");
            Console.WriteLine($"content: {content.Checked} frames compared at Flow's rx, {content.Corrupt} corrupt, {content.Missing} missing " +
                "(l2fwd rows are counted, not checked: l2fwd rewrites MACs and testpmd cannot look at bytes)");
            foreach ((string name, _) in variants)
            {
                json[name + "_pps"] = Figure(samples[name].Median);
                json[name + "_pps_min"] = Figure(samples[name].Min);
                json[name + "_pps_max"] = Figure(samples[name].Max);
            }
            json["stations"] = Stations;
            json["checked"] = content.Checked;
            json["corrupt"] = content.Corrupt;
            json["missing"] = content.Missing;
            json["cross_core_latency_ns"] = Figure(measured.Latency.Median);
            json["rounds"] = rounds;
            return measured.Failures + (content.Corrupt + content.Missing > 0 ? 1 : 0);
        }
        finally
        {
            Directory.Delete(traffic, recursive: true);
        }
    }

    private static object? Figure(double value) => double.IsNaN(value) ? null : Math.Round(value);

    /// <summary>An abstract name, testpmd's and l2fwd's default; Flow's clients ask for it with <c>Abstract = true</c>.</summary>
    internal static string Socket(int port) => $"/flow-bench/switch-{Environment.ProcessId}-{Guid.NewGuid():N}-{port}";

    /// <summary>
    /// testpmd, io forwarding. Closed loop (<paramref name="traffic"/> null): two memif server
    /// ports with fixed MACs, each one's eth-peer the other, ports 0 ↔ 1. Open loop: a pcap
    /// port replaying each side's station file without end in front of each memif port —
    /// pcap0 → memif0 and pcap1 → memif1, what comes back on a memif port goes to its pcap
    /// port, which drops it — so the memif ports are 1 and 3.
    /// </summary>
    internal static Testpmd StartTestpmd(string socket0, string socket1, (string A, string B)? traffic) =>
        traffic is { } files
            ? Testpmd.Interactive(new TestpmdOptions
            {
                Devices = [$"net_pcap0,rx_pcap={files.A},infinite_rx=1", $"net_memif0,role=server,id=0,socket={socket0}",
                    $"net_pcap1,rx_pcap={files.B},infinite_rx=1", $"net_memif1,role=server,id=0,socket={socket1}"],
                Arguments = "--total-num-mbufs=65536 --forward-mode=io",
                Cpu = PeerCpu,
            })
            : Testpmd.Interactive(new TestpmdOptions
            {
                Devices = [$"net_memif0,role=server,id=0,socket={socket0},mac={MacP0}", $"net_memif1,role=server,id=0,socket={socket1},mac={MacP1}"],
                Arguments = $"--total-num-mbufs=8192 --forward-mode=io --eth-peer=0,{MacP1} --eth-peer=1,{MacP0}",
                Cpu = PeerCpu,
            });

    private static int[] MemifPorts((string, string)? traffic) => traffic is null ? [0, 1] : [1, 3];

    /// <summary>
    /// Starts the traffic (closed loop: <c>start tx_first</c>; open: <c>start</c>), warms up,
    /// returns the rate over the window as testpmd's memif ports received it, then stops
    /// testpmd's forwarding and returns its memif ports' settled totals.
    /// </summary>
    internal static (double Pps, long TestpmdRx, long TestpmdTx) Loop(Testpmd testpmd, TimeSpan window, int bursts, (string, string)? traffic)
    {
        int[] memif = MemifPorts(traffic);
        int ports = memif[^1] + 1;
        testpmd.Send(traffic is null ? $"start tx_first {bursts}" : "start");
        Thread.Sleep(1000);
        (long Rx, long Tx)[] before = testpmd.AllPortStats(ports);
        long t0 = Stopwatch.GetTimestamp();
        Thread.Sleep(window);
        (long Rx, long Tx)[] after = testpmd.AllPortStats(ports);
        double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        double pps = memif.Sum(p => after[p].Rx - before[p].Rx) / elapsed;
        testpmd.Send("stop");
        (long Rx, long Tx)[] settled = memif.Select(p => testpmd.SettledPortStats(p)).ToArray();
        return (pps, settled.Sum(s => s.Rx), settled.Sum(s => s.Tx));
    }

    internal static bool LinksUp(Testpmd testpmd, (string, string)? traffic) => MemifPorts(traffic).All(p => testpmd.WaitLinkUp(p));

    internal static double RunL2fwd(string binary, TimeSpan window, int bursts, bool zeroCopy, (string, string)? traffic)
    {
        string socket0 = Socket(0);
        string socket1 = Socket(1);
        string zc = zeroCopy ? ",zero-copy=yes" : "";
        using Testpmd testpmd = StartTestpmd(socket0, socket1, traffic);
        using var l2fwd = new L2fwdPeer(binary,
            [$"net_memif0,role=client,id=0,socket={socket0}{zc}", $"net_memif1,role=client,id=0,socket={socket1}{zc}"], MeasuredCpu);
        if (!LinksUp(testpmd, traffic))
        {
            throw new InvalidOperationException("l2fwd did not connect: " + l2fwd.Output);
        }
        // l2fwd checks its links (up to 9 s) before it forwards: wait for its main loop.
        if (!Waits.TryUntilBlocking(() => l2fwd.Output.Contains("entering main loop", StringComparison.Ordinal) || l2fwd.HasExited, TimeSpan.FromSeconds(20)) || l2fwd.HasExited)
        {
            throw new InvalidOperationException("l2fwd did not start forwarding: " + l2fwd.Output);
        }
        (double pps, long rx, long tx) = Loop(testpmd, window, bursts, traffic);
        // Closed loop: at most what was in flight is lost. Open loop: testpmd offers more than a
        // forwarder takes, and l2fwd drops what its tx ring refuses; it must have forwarded.
        Verify(rx > 0 && rx <= tx && (traffic is not null || tx - rx <= 64L * bursts + 4096), $"l2fwd: testpmd sent {tx}, received {rx}");
        return pps;
    }

    private static async Task<double> RunFlowSwitch(TimeSpan window, int bursts, (string, string)? traffic, ContentTally content,
        LiveOperation live = LiveOperation.None)
    {
        string socket0 = Socket(0);
        string socket1 = Socket(1);
        using Testpmd testpmd = StartTestpmd(socket0, socket1, traffic);
        using MemifInterface a = MemifInterface.Create(new MemifOptions { Socket = socket0, Abstract = true, Role = MemifRole.Client, InputPort = 0, Name = "flow_mif_a", BufferGroup = "switch" });
        using MemifInterface b = MemifInterface.Create(new MemifOptions { Socket = socket1, Abstract = true, Role = MemifRole.Client, InputPort = 1, Name = "flow_mif_b", BufferGroup = "switch" });
        if (!a.WaitConnected(TimeSpan.FromSeconds(20)) || !b.WaitConnected(TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException($"Flow did not connect: {a.LastDisconnectReason} {b.LastDisconnectReason}");
        }
        // Every frame Flow receives is checked before the switch sees it: closed loop, against
        // the first frame's headers after the MACs (testpmd's tx_first frames, looping through
        // Flow's tx and back, so Flow's own transmit path is checked too); open loop, each
        // station frame byte for byte from its sequence number — the first frame of every
        // 16th burst, as a byte-by-byte pattern walk over IMIX frames would cost more than the
        // switching. The check's cost counts as Flow's.
        FrameChecker check = traffic is null ? FrameChecker.Template() : FrameChecker.Sequenced(0, sampleEvery: OpenLoopCheckEvery);
        IReadOnlyList<SwitchPortOptions> ports = [SwitchPortOptions.Access("mif_a", 1, id: 0), SwitchPortOptions.Access("mif_b", 1, id: 1)];
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: MeasuredCpu, idle: IdlePolicy.BusyPoll)
            .AddSwitch(ports)
            .Add("check", new FrameCheck(check)).Connect("check", SwitchGraph.Classifier)
            .Add("rx_a", new MemifRx(a, 0)).Connect("rx_a", "check")
            .Add("rx_b", new MemifRx(b, 0)).Connect("rx_b", "check")
            .Add("tx_a", new MemifTx(a, 0)).Connect(SwitchGraph.TaggerOf("mif_a"), "tx_a")
            .Add("tx_b", new MemifTx(b, 0)).Connect(SwitchGraph.TaggerOf("mif_b"), "tx_b")
            .Build();
        var control = new SwitchControl(graph);
        await using LiveSession session = await LiveSession.BeforeStartAsync(graph, live, SwitchGraph.Forwarder + ":mif_b");
        graph.Start();
        await session.AfterStartAsync();
        if (!LinksUp(testpmd, traffic))
        {
            throw new InvalidOperationException("testpmd links did not come up");
        }
        (double pps, long testpmdRx, long testpmdTx) = Loop(testpmd, window, bursts, traffic);
        bool drained = Waits.TryUntilBlocking(() => a.GetRxStats(0).Packets + b.GetRxStats(0).Packets == testpmdTx, TimeSpan.FromSeconds(5));
        IReadOnlyList<MacEntry> table = await control.ShowMacTableAsync();
        IReadOnlyList<SwitchPortCounters> counters = await control.PortCountersAsync();
        if (await session.StopAsync() is { } captured)
        {
            Console.WriteLine($"    {captured}");
        }
        await graph.StopAsync();
        GraphStats stats = graph.GetStats();
        long flowRx = a.GetRxStats(0).Packets + b.GetRxStats(0).Packets;
        long flowTx = a.GetTxStats(0).Packets + b.GetTxStats(0).Packets;
        content.Add(check, missing: Math.Max(0, testpmdTx - flowRx));
        Verify(drained && flowRx == testpmdTx, $"flow_switch: testpmd sent {testpmdTx}, Flow received {flowRx}");
        Verify(stats.IsBalanced, "flow_switch: conservation does not hold: " + string.Join("; ", stats.Stages));
        Verify(testpmdRx <= flowTx && flowTx <= flowRx, $"flow_switch: Flow received {flowRx}, sent {flowTx}, testpmd received {testpmdRx}");
        Verify(check.Corrupt == 0 && (traffic is not null || check.Checked == flowRx), $"flow_switch: {check.Corrupt} of {check.Checked} checked frames corrupt ({flowRx} received)");
        long unicast = counters.Sum(c => c.SentUnicast);
        long flooded = counters.Sum(c => c.SentFlooded);
        string learned = table.Count <= 4
            ? string.Join(", ", table.Select(e => $"{e.Mac} vlan {e.Vlan} on {e.Port}"))
            : $"{table.Count} stations, {table.Count(e => e.Port == "mif_a")} on mif_a";
        long polls = 0;
        long busyPolls = 0;
        foreach (string rx in new[] { "rx_a", "rx_b" })
        {
            BurstHistogram? histogram = stats.Stage(rx).Bursts;
            polls += histogram?.Counts.Sum() ?? 0;
            busyPolls += histogram?.NonEmptyPolls ?? 0;
        }
        Console.WriteLine($"    flow_switch did: learned [{learned}]; forwarded {unicast} known unicast, flooded {flooded}; " +
            $"drops [{string.Join(" ", stats.Stages.SelectMany(s => s.Drops).Where(d => d.Packets > 0).Select(d => $"{d.Reason}={d.Packets}"))}]; " +
            $"rx polls {polls}, {100.0 * (polls - busyPolls) / Math.Max(1, polls):F0}% empty, {(double)flowRx / Math.Max(1, busyPolls):F1} packets per non-empty poll");
        Console.WriteLine("    flow_switch stages (sampled ns/packet): " +
            string.Join(", ", stats.Stages.Where(s => s.In + s.Emitted > 0 || s.Bursts is not null).Select(s => $"{s.Name} {s.NanosecondsPerPacket:F1}")));
        int stations = traffic is null ? 2 : Stations;
        // Every station sends within the warm-up, and the table (8 192 entries, two buckets per
        // key) holds all 4 096: one missing is a learning fault, not noise. Until each is learned
        // its frames flood, so known unicast must still be most of the traffic.
        Verify(table.Count == stations && unicast > (traffic is null ? 100 : 1) * Math.Max(1, flooded),
            $"flow_switch: learned {table.Count} of {stations} stations, forwarded {unicast} known unicast, flooded {flooded}");
        return pps;
    }

    internal static void Verify(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
