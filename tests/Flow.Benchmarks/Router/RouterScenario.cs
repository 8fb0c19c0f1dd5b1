using System.Diagnostics;
using System.Text.Json;
using Flow.Backends.Memif;
using Flow.Benchmarks.Infrastructure;
using Flow.Benchmarks.Routing;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;

namespace Flow.Benchmarks.Router;

/// <summary>
/// Scenario <c>router</c> (issue 16, "Performance"): Flow's IPv4 router against DPDK's
/// <c>l3fwd-graph</c> on memif, against Linux's own forwarding on veth (<see cref="RouterVethBench"/>),
/// and the FIB figures of scenario <c>fib</c> (<see cref="FibScenario"/>), in one run.
/// <code>
///  testpmd io @cpu1 [pcap0 → memif0] ══memif══ [port 0 / lan]                    [port 1 / wan] ══memif══ [memif1 ← pcap1]
///                   [pcap0 ← memif0]                          forwarder @cpu0                              [memif1 → pcap1]
///  forwarder: l3fwd_graph (copy), l3fwd_graph_zc (zero-copy=yes), flow_router (pipelines/router.json through the
///             graph-file loader, RouterFile; RouterGraph built in code with --code-graph; memif clients, one buffer group)
/// </code>
/// Open loop: each testpmd pcap port replays its side's file (<see cref="RouterTraffic"/>: 64-byte
/// frames from 198.18.&lt;side&gt;.0/24 to the other side's /24) without end into its memif port;
/// what the forwarder routes out of the other port comes back on that memif port and is counted
/// and dropped (the pcap port has no tx file). testpmd offers more than a forwarder takes, so the
/// figure is the forwarder's routing rate: packets testpmd's memif ports received per second.
/// Not testpmd's closed loop (<c>start tx_first</c>, as the switch scenario runs): a frame looping
/// through a router loses one TTL per pass, and a router that follows RFC 1812 drops it after
/// 63 passes (l3fwd-graph does not check the TTL and would loop it for ever); every frame here
/// crosses the router once.
/// l3fwd-graph's worker lcore is on cpu 0 as Flow's worker is; its main lcore (which the example
/// requires and which busy-waits) shares cpu 1 with testpmd at SCHED_IDLE
/// (<see cref="L3fwdGraphPeer"/>). l3fwd-graph opens one tx queue per lcore, so its memif clients
/// have two client-to-server rings: testpmd gets <c>--rxq=2</c> for it (its pcap ports replay
/// the same file on both queues) and <c>--rxq=1</c> for Flow, whose client has one; a server
/// queue without a ring behind it must not be polled.
/// Variants run interleaved (l3fwd_graph, l3fwd_graph_zc, flow_router, l3fwd_graph, …); figures
/// are medians with min–max, plus each round's flow_router/reference ratio.
/// Last line: <c>{"scenario":"router","l3fwd_graph_pps":…,"flow_router_pps":…,"kernel_fwd_pps":…,…}</c>.
/// </summary>
public static class RouterScenario
{
    private const int MeasuredCpu = 0;
    private const int PeerCpu = 1;

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 3);
        double seconds = ScenarioArgs.Double(args, "--seconds", 3.0);
        var json = new Dictionary<string, object?> { ["scenario"] = "router" };
        int failures = 0;
        if (args.Contains("--nat-sessions-only"))
        {
            NatSessionBench.Run(rounds, json);
            Console.WriteLine(JsonSerializer.Serialize(json));
            return 0;
        }
        if (!args.Contains("--veth-only") && !args.Contains("--fib-only"))
        {
            failures += await RunMemifAsync(rounds, seconds, ScenarioArgs.String(args, "--only"), RouterFileOrCode(args), json);
        }
        if (!args.Contains("--memif-only") && !args.Contains("--fib-only"))
        {
            failures += await RouterVethBench.RunAsync(args, RouterFileOrCode(args), json);
        }
        if (!args.Contains("--memif-only") && !args.Contains("--veth-only"))
        {
            failures += await RunFibAsync(args, json);
            NatSessionBench.Run(rounds, json);
        }
        Console.WriteLine(JsonSerializer.Serialize(json));
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Scenario <c>fib</c> with the router's defaults (1 M routes, 3 rounds, 2 s of updates); its figures join the router's JSON.</summary>
    private static async Task<int> RunFibAsync(string[] args, Dictionary<string, object?> json)
    {
        string[] fibArgs =
        [
            "--rounds", ScenarioArgs.String(args, "--fib-rounds") ?? "3",
            "--routes", ScenarioArgs.String(args, "--fib-routes") ?? "1000000",
            "--update-seconds", ScenarioArgs.String(args, "--fib-update-seconds") ?? "2",
        ];
        Dictionary<string, object?>? fib = await FibScenario.MeasureAsync(fibArgs);
        if (fib is null)
        {
            Console.WriteLine("router (fib): FAILED (see above)");
            return 1;
        }
        foreach ((string key, object? value) in fib.Where(f => f.Key != "scenario"))
        {
            bool headline = key.StartsWith("dpdk_fib_", StringComparison.Ordinal) || key.StartsWith("flow_fib_", StringComparison.Ordinal) || key.StartsWith("flow_route_updates", StringComparison.Ordinal);
            json[headline ? key : "fib_" + key] = value;
        }
        return 0;
    }

    /// <summary>pipelines/router.json when found and not <c>--code-graph</c>; null for the graph built in code (<see cref="RouterGraph"/>).</summary>
    private static string? RouterFileOrCode(string[] args) => args.Contains("--code-graph") ? null : RouterFile.Locate();

    private static async Task<int> RunMemifAsync(int rounds, double seconds, string? only, string? routerFile, Dictionary<string, object?> json)
    {
        if (!File.Exists("/usr/bin/dpdk-testpmd"))
        {
            Console.Error.WriteLine("router: dpdk-testpmd is required (apt-get install dpdk)");
            return 1;
        }
        string? l3fwd = L3fwdGraphPeer.Locate(out string why);
        if (l3fwd is null)
        {
            Console.Error.WriteLine("router: DPDK l3fwd-graph is required: " + why);
            return 1;
        }
        var window = TimeSpan.FromSeconds(seconds);
        Console.WriteLine($"router (memif): {rounds} rounds, {seconds:F1} s window, 1 s warm-up, 64-byte frames, open loop: testpmd io (memif server, " +
            $"pcap → memif on each side) on cpu {PeerCpu}, forwarder (memif client, 2 ports) worker on cpu {MeasuredCpu}");
        Console.WriteLine($"  routes (l3fwd-graph's table, its 2 enabled ports): {RouterTraffic.Prefixes[0]} → port 0 (dst {RouterTraffic.GatewayMacs[0]}), " +
            $"{RouterTraffic.Prefixes[1]} → port 1 (dst {RouterTraffic.GatewayMacs[1]})");
        Console.WriteLine($"  l3fwd_graph: {l3fwd} (graph stats compiled out), worker lcore cpu {MeasuredCpu}, main lcore cpu {PeerCpu} SCHED_IDLE; " +
            "l3fwd_graph_zc: the same with zero-copy=yes memif clients (DPDK's zero copy exists in the client role only)");
        Console.WriteLine("  flow_router: " + (routerFile is null
            ? "RouterGraph, built in code (the stages and wiring of pipelines/router.json; --code-graph or no router.json found)"
            : $"{routerFile} through the graph-file loader (memif clients of one socket file, ids 1 and 2), worker pinned, check stages before its tx") +
            $", lan {RouterTraffic.RouterAddresses[0]}/24 + wan {RouterTraffic.RouterAddresses[1]}/24, " +
            $"routes {RouterTraffic.Prefixes[0]} via {RouterTraffic.Gateways[0]}, {RouterTraffic.Prefixes[1]} via {RouterTraffic.Gateways[1]}; neighbours learned from the gateways' ARP requests");
        string traffic = Directory.CreateTempSubdirectory("flow-router-").FullName;
        try
        {
            (string, string) files = RouterTraffic.Write(traffic);
            var content = new ContentTally();
            var allocation = new Samples();
            var variants = new (string Name, Func<Task<double>> Run)[]
            {
                ("l3fwd_graph", () => Task.FromResult(RunL3fwdGraph(l3fwd, window, files, zeroCopy: false))),
                ("l3fwd_graph_zc", () => Task.FromResult(RunL3fwdGraph(l3fwd, window, files, zeroCopy: true))),
                ("flow_router", () => RunFlowRouter("flow_router", window, files, routerFile, content, allocation)),
            };
            if (routerFile is not null)
            {
                variants = [.. variants, ("flow_nat", () => RunFlowRouter("flow_nat", window, files, routerFile, content, allocation))];
            }
            if (routerFile is not null && (only is null || only.Split(',').Contains("flow_router_1m")))
            {
                var made = Stopwatch.StartNew();
                RouterFlows flows = RouterFlows.Create();
                (string, string) flowFiles = flows.Write(traffic);
                Console.WriteLine($"  flow_router_1m: the file with {RouterFlows.Routes:N0} routes ({FibWorkload.Shape}; each via one of the gateways, alternately) and " +
                    $"{2 * RouterFlows.FlowsPerSide:N0} flows, {RouterFlows.FlowsPerSide:N0} a side to random hosts of random routes leaving by the other side " +
                    $"(made in {made.Elapsed.TotalSeconds:F1} s); l3fwd-graph's routes are compiled in, so DPDK's cost of a million routes is the fib part's rte_fib figure");
                variants = [.. variants, ("flow_router_1m", () => RunFlowRouter("flow_router_1m", window, flowFiles, routerFile, content, allocation, flows))];
            }
            if (only is not null)
            {
                string[] chosen = only.Split(',');
                variants = variants.Where(v => chosen.Contains(v.Name)).ToArray();
            }
            (string Flow, string Reference)[] pairs =
                [("flow_router", "l3fwd_graph"), ("flow_router", "l3fwd_graph_zc"), ("flow_nat", "flow_router"), ("flow_router_1m", "flow_router")];
            InterleavedRounds measured = await InterleavedRounds.RunAsync(rounds, variants, pairs);
            Dictionary<string, Samples> samples = measured.Samples;
            Console.WriteLine($"{"variant",-15} {"Mpps median",12} {"min–max",18} {"M pkts/CPU-s",13} {"min–max",16}");
            foreach ((string name, _) in variants)
            {
                Samples s = samples[name];
                Samples c = PerCpuSecond[name];
                Console.WriteLine($"{name,-15} {s.Median / 1e6,12:F3} {$"{s.Min / 1e6:F3}–{s.Max / 1e6:F3}",18} {c.Median / 1e6,13:F3} {$"{c.Min / 1e6:F3}–{c.Max / 1e6:F3}",16}");
                json[name + "_pps"] = Figure(s.Median);
                json[name + "_pps_min"] = Figure(s.Min);
                json[name + "_pps_max"] = Figure(s.Max);
                json[name + "_packets_per_cpu_s"] = Figure(c.Median);
                json[name + "_packets_per_cpu_s_min"] = Figure(c.Min);
                json[name + "_packets_per_cpu_s_max"] = Figure(c.Max);
            }
            foreach ((string flow, string reference) in pairs.Where(p => samples.ContainsKey(p.Flow) && samples.ContainsKey(p.Reference)))
            {
                Samples ratios = measured.PairedRatios[(flow, reference)];
                Console.WriteLine($"{flow}/{reference}: {ratios.Median:F2} median of the rounds' ratios (min–max {ratios.Min:F2}–{ratios.Max:F2}) {flow switch { "flow_nat" => "(target ≥ 0.80)", "flow_router_1m" => "(the cost of 1 M routes and 64 K flows against 2 routes)", _ => "(target ≥ 1.00)" }}");
                json[$"{flow}_vs_{reference}"] = Ratio(ratios.Median);
                json[$"{flow}_vs_{reference}_min"] = Ratio(ratios.Min);
                json[$"{flow}_vs_{reference}_max"] = Ratio(ratios.Max);
            }
            Console.WriteLine($"cross-core latency: median {measured.Latency.Median:F0} ns (min {measured.Latency.Min:F0}, max {measured.Latency.Max:F0})");
            Console.WriteLine($"content: {content.Checked} routed frames checked before Flow's tx, {content.Corrupt} corrupt, {content.Missing} missing " +
                "(l3fwd_graph rows are counted, not checked: testpmd cannot look at bytes)");
            json["flow_router_path_cycles_per_packet"] = Figure(PathCycles.Median);
            json["flow_nat_out_cycles_per_packet"] = Figure(NatOutCycles.Median);
            json["flow_bytes_per_packet"] = double.IsNaN(allocation.Max) ? null : Math.Round(allocation.Max, 4);
            json["checked"] = content.Checked;
            json["corrupt"] = content.Corrupt;
            json["missing"] = content.Missing;
            json["cross_core_latency_ns"] = Figure(measured.Latency.Median);
            json["memif_dpdk_zero_copy"] = "l3fwd_graph_zc: zero-copy=yes on l3fwd-graph's memif clients; testpmd is the server, which always copies";
            json["flow_router_graph"] = routerFile is null ? "RouterGraph (code)" : "pipelines/router.json";
            json["rounds"] = rounds;
            return measured.Failures + (content.Corrupt + content.Missing > 0 ? 1 : 0);
        }
        finally
        {
            Directory.Delete(traffic, recursive: true);
        }
    }

    internal static object? Figure(double value) => double.IsNaN(value) ? null : Math.Round(value);

    internal static object? Ratio(double value) => double.IsNaN(value) ? null : Math.Round(value, 3);

    /// <summary>An abstract name, testpmd's and DPDK's default; Flow's clients ask for it with <c>Abstract = true</c>.</summary>
    private static string Socket(int port) => $"/flow-bench/router-{Environment.ProcessId}-{Guid.NewGuid():N}-{port}";

    /// <summary>
    /// testpmd, io forwarding, ports pcap0 (side 0's file, on every rx queue), memif0 (server,
    /// gateway 0's MAC, socket and id from <paramref name="memif0"/>), pcap1, memif1: pcap0 → memif0, memif0 → pcap0 (dropped), and the same
    /// on side 1. <paramref name="rxQueues"/>: the forwarder's tx queues per port.
    /// </summary>
    private static Testpmd StartTestpmd(string memif0, string memif1, (string A, string B) files, int rxQueues, int mbufs = 65536) =>
        Testpmd.Interactive(new TestpmdOptions
        {
            Devices = [$"net_pcap0,rx_pcap={files.A},rx_pcap={files.A},infinite_rx=1", $"net_memif0,role=server,{memif0},mac={RouterTraffic.GatewayMacs[0]}",
                $"net_pcap1,rx_pcap={files.B},rx_pcap={files.B},infinite_rx=1", $"net_memif1,role=server,{memif1},mac={RouterTraffic.GatewayMacs[1]}"],
            Arguments = $"--total-num-mbufs={mbufs} --forward-mode=io --rxq={rxQueues} --txq=1",
            Cpu = PeerCpu,
        });

    private static readonly int[] s_memifPorts = [1, 3];

    /// <summary>l3fwd-graph's two routes in router.json's terms: <c>[{"prefix": "198.18.0.0/24", "via": "10.0.0.2"}, …]</c>.</summary>
    private static string RoutesJson() =>
        "[" + string.Join(", ", RouterTraffic.Prefixes.Select((p, i) => $"{{\"prefix\": \"{p}\", \"via\": \"{RouterTraffic.Gateways[i]}\"}}")) + "]";

    /// <summary>
    /// router.json's parameters for a run, as <c>--set</c> would give them: every port's backend,
    /// each port's MAC and address, the routes, busy polling, and <paramref name="extra"/>.
    /// </summary>
    internal static Dictionary<string, string> FileParameters(string backend, IReadOnlyList<string> macs, IReadOnlyList<string> addresses, string routes,
        params (string Name, string Value)[] extra)
    {
        var parameters = new Dictionary<string, string>
        {
            ["backend"] = backend,
            ["lan.mac"] = macs[0],
            ["wan.mac"] = macs[1],
            ["lan.address"] = addresses[0],
            ["wan.address"] = addresses[1],
            ["routes"] = routes,
            ["idle"] = "busy_poll",
        };
        foreach ((string name, string value) in extra)
        {
            parameters[name] = value;
        }
        return parameters;
    }

    /// <summary>
    /// Starts the replay, warms up, returns the rate testpmd's memif ports received over the
    /// window (and the process's allocation over it), stops forwarding and returns the memif
    /// ports' settled totals.
    /// </summary>
    private static (double Pps, long Packets, long Allocated, long TestpmdRx, long TestpmdTx) Loop(Testpmd testpmd, TimeSpan window, string name, Func<long> workerCpuNanoseconds)
    {
        testpmd.Send("start");
        Thread.Sleep(1000);
        (long Rx, long Tx)[] before = testpmd.AllPortStats(4);
        long cpuBefore = workerCpuNanoseconds();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long t0 = Stopwatch.GetTimestamp();
        Thread.Sleep(window);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long cpu = workerCpuNanoseconds() - cpuBefore;
        (long Rx, long Tx)[] after = testpmd.AllPortStats(4);
        double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long packets = s_memifPorts.Sum(p => after[p].Rx - before[p].Rx);
        long offered = s_memifPorts.Sum(p => after[p].Tx - before[p].Tx);
        double perCpu = packets / (cpu / 1e9);
        PerCpuSecond[name].Add(perCpu);
        Console.WriteLine($"    testpmd's memif ports sent {offered / elapsed / 1e6:F3} Mpps into the forwarder's rings and received {packets / elapsed / 1e6:F3} Mpps; " +
            $"the forwarder's worker ran {100 * cpu / 1e9 / elapsed:F0} % of the window: {perCpu / 1e6:F3} M packets per CPU-second ({CpuClock.GigaHertz * 1e9 / perCpu:F0} cycles per packet)");
        testpmd.Send("stop");
        (long Rx, long Tx)[] settled = s_memifPorts.Select(p => testpmd.SettledPortStats(p)).ToArray();
        return (packets / elapsed, packets, allocated, settled.Sum(s => s.Rx), settled.Sum(s => s.Tx));
    }

    /// <summary>Flow's sampled cycles per packet along the forwarding path, per round.</summary>
    private static readonly Samples PathCycles = new();

    /// <summary>flow_nat: nat_out's sampled cycles per packet, per round.</summary>
    private static readonly Samples NatOutCycles = new();

    /// <summary>
    /// The sampled cost of the stages a routed packet passes: the mean of the two rx stages, the
    /// router's stages from classify to arp_resolve (the forwarding hook included), the mean of the two tx stages.
    /// </summary>
    private static double ForwardingPathNanoseconds(GraphStats stats)
    {
        double Cost(string name) => stats.Stages.FirstOrDefault(s => s.Name == name) is { NanosecondsPerPacket: double ns } ? ns : 0;
        return (Cost("lan_rx") + Cost("wan_rx")) / 2 + (Cost("lan_tx") + Cost("wan_tx")) / 2 +
            new[] { "classify", "ipv4_input", "ipv4_lookup", "ipv4_forward", "forward_hook", "nat_out", "ipv4_output", "arp_resolve" }.Sum(Cost);
    }

    /// <summary>Each variant's packets per CPU-second of its worker thread, per round.</summary>
    private static readonly Dictionary<string, Samples> PerCpuSecond = new()
    {
        ["l3fwd_graph"] = new(), ["l3fwd_graph_zc"] = new(), ["flow_router"] = new(), ["flow_nat"] = new(), ["flow_router_1m"] = new(),
    };

    private static double RunL3fwdGraph(string binary, TimeSpan window, (string, string) files, bool zeroCopy)
    {
        string socket0 = Socket(0);
        string socket1 = Socket(1);
        string zc = zeroCopy ? ",zero-copy=yes" : "";
        using Testpmd testpmd = StartTestpmd($"socket={socket0},id=0", $"socket={socket1},id=0", files, rxQueues: 2);
        using var l3fwd = new L3fwdGraphPeer(binary,
            [$"net_memif0,role=client,id=0,socket={socket0},mac={RouterTraffic.RouterMacs[0]}{zc}",
             $"net_memif1,role=client,id=0,socket={socket1},mac={RouterTraffic.RouterMacs[1]}{zc}"], MeasuredCpu, PeerCpu);
        if (!s_memifPorts.All(p => testpmd.WaitLinkUp(p)))
        {
            throw new InvalidOperationException("l3fwd-graph did not connect: " + l3fwd.Output);
        }
        if (!l3fwd.WaitForwarding())
        {
            throw new InvalidOperationException("l3fwd-graph did not start forwarding: " + l3fwd.Output);
        }
        int worker = l3fwd.WorkerThreadId();
        (double pps, _, _, long rx, long tx) = Loop(testpmd, window, zeroCopy ? "l3fwd_graph_zc" : "l3fwd_graph", () => ThreadCpuTime.NanosecondsOfAnyThread(worker));
        // Open loop: testpmd offers more than a forwarder takes; l3fwd-graph drops what its tx
        // refuses (and the ARP frame of each file). It must have routed.
        Verify(rx > 0 && rx <= tx, $"l3fwd-graph: testpmd sent {tx}, received {rx}");
        return pps;
    }

    /// <summary>
    /// flow_router, or flow_nat: the same file with its NAT on (wan's address, endpoint-independent):
    /// the lan side's half of the traffic, 254 UDP flows, leaves translated by established
    /// sessions; the wan side's half is forwarded to the lan prefix as before.
    /// </summary>
    private static async Task<double> RunFlowRouter(string name, TimeSpan window, (string A, string B) files, string? routerFile, ContentTally content, Samples allocation,
        RouterFlows? flows = null)
    {
        Testpmd testpmd;
        IRouterUnderTest router;
        var disposables = new List<IDisposable>();
        if (routerFile is not null)
        {
            // The shipped file's memif ports: clients of one socket file, interface ids 1 (lan) and 2 (wan).
            string socket = Path.Combine(Path.GetDirectoryName(files.A)!, $"router-{Guid.NewGuid():N}.sock");
            // The pcap PMD holds its whole file in mbufs, per rx queue set up (one per pcap port here).
            int mbufs = flows is null ? 65536 : (2 * (RouterFlows.FlowsPerSide + 1)) + 16384;
            testpmd = StartTestpmd($"socket={socket},socket-abstract=no,id=1", $"socket={socket},socket-abstract=no,id=2", files, rxQueues: 1, mbufs);
            disposables.Add(testpmd);
            RouterFile file = RouterFile.Load(routerFile, FileParameters("memif", RouterTraffic.RouterMacs, [RouterTraffic.RouterAddresses[0] + "/24", RouterTraffic.RouterAddresses[1] + "/24"], RoutesJson(),
                ("memif_socket", socket), ("nat.enabled", name == "flow_nat" ? "true" : "false")), MeasuredCpu, checks: true, flows);
            router = file;
            if (flows is not null)
            {
                double seconds = flows.Install(file.Routes);
                Console.WriteLine($"    {name}: {file.Routes.Count:N0} routes installed in {seconds:F1} s ({file.Routes.Count / seconds / 1e6:F2} M/s)");
            }
        }
        else
        {
            string socket0 = Socket(0);
            string socket1 = Socket(1);
            testpmd = StartTestpmd($"socket={socket0},id=0", $"socket={socket1},id=0", files, rxQueues: 1);
            disposables.Add(testpmd);
            MemifInterface lan = MemifInterface.Create(new MemifOptions { Socket = socket0, Abstract = true, Role = MemifRole.Client, InputPort = 0, Name = "lan", BufferGroup = "router" });
            disposables.Add(lan);
            MemifInterface wan = MemifInterface.Create(new MemifOptions { Socket = socket1, Abstract = true, Role = MemifRole.Client, InputPort = 1, Name = "wan", BufferGroup = "router" });
            disposables.Add(wan);
            if (!lan.WaitConnected(TimeSpan.FromSeconds(20)) || !wan.WaitConnected(TimeSpan.FromSeconds(20)))
            {
                disposables.ForEach(d => d.Dispose());
                throw new InvalidOperationException($"Flow did not connect: {lan.LastDisconnectReason} {wan.LastDisconnectReason}");
            }
            IReadOnlyList<RouterInterfaceOptions> interfaces =
            [
                new() { Name = "lan", Id = 0, Mac = RouterTraffic.RouterMacs[0], Addresses = [RouterTraffic.RouterAddresses[0] + "/24"] },
                new() { Name = "wan", Id = 1, Mac = RouterTraffic.RouterMacs[1], Addresses = [RouterTraffic.RouterAddresses[1] + "/24"] },
            ];
            IReadOnlyList<Ipv4StaticRouteOptions> routes =
            [
                new() { Prefix = RouterTraffic.Prefixes[0], Via = RouterTraffic.Gateways[0] },
                new() { Prefix = RouterTraffic.Prefixes[1], Via = RouterTraffic.Gateways[1] },
            ];
            router = new RouterGraph(interfaces, routes, (new MemifRx(lan, 0), new MemifTx(lan, 0)), (new MemifRx(wan, 0), new MemifTx(wan, 0)), MeasuredCpu);
        }
        try
        {
            return await MeasureFlowRouter(name, testpmd, router, window, content, allocation);
        }
        finally
        {
            await router.DisposeAsync();
            disposables.Reverse();
            disposables.ForEach(d => d.Dispose());
        }
    }

    private static async Task<double> MeasureFlowRouter(string name, Testpmd testpmd, IRouterUnderTest router, TimeSpan window, ContentTally content, Samples allocation)
    {
        router.Graph.Start();
        if (!s_memifPorts.All(p => testpmd.WaitLinkUp(p)))
        {
            throw new InvalidOperationException("testpmd links did not come up");
        }
        int worker = router.Graph.GetStats().Workers[0].OsThreadId;
        (double pps, long packets, long allocated, long testpmdRx, long testpmdTx) = Loop(testpmd, window, name, () => ThreadCpuTime.Nanoseconds(worker));
        bool drained = Waits.TryUntilBlocking(() => router.Received == testpmdTx, TimeSpan.FromSeconds(5));
        await router.Graph.StopAsync();
        GraphStats stats = router.Graph.GetStats();
        long flowRx = router.Received;
        long flowTx = router.Sent;
        long @checked = router.Checks.Sum(c => c.Checked);
        long corrupt = router.Checks.Sum(c => c.Corrupt);
        content.Add(@checked, corrupt, missing: Math.Max(0, testpmdTx - flowRx));
        allocation.Add((double)allocated / Math.Max(1, packets));
        long forwarded = stats.Stage("ipv4_forward").OutOn("forwarded");
        Console.WriteLine($"    {name} did: received {flowRx}, routed {forwarded}, sent {flowTx}; allocated {allocated} bytes in the window ({(double)allocated / Math.Max(1, packets):F4} per packet, whole process); " +
            $"drops [{string.Join(" ", stats.Stages.SelectMany(s => s.Drops).Where(d => d.Packets > 0).Select(d => $"{d.Reason}={d.Packets}"))}]; checked {@checked}, corrupt {corrupt}");
        Console.WriteLine($"    {name} stages (sampled ns/packet, cycles at {CpuClock.GigaHertz:F2} GHz): " +
            string.Join(", ", stats.Stages.Where(s => s.In + s.Emitted > 0 || s.Bursts is not null).Select(s => $"{s.Name} {s.NanosecondsPerPacket:F1} ({s.CyclesPerPacket:F0} c)")));
        double path = ForwardingPathNanoseconds(stats);
        Console.WriteLine($"    {name} forwarding path (one rx, classify … arp_resolve, one tx; checks left out): {path:F1} ns, {path * CpuClock.GigaHertz:F0} cycles per packet (grout publishes ~200 cycles for its IPv4 path)");
        if (name == "flow_router")
        {
            PathCycles.Add(path * CpuClock.GigaHertz);
        }
        else if (name == "flow_nat")
        {
            StageStats nat = stats.Stage("nat_out");
            Console.WriteLine($"    {name}: nat_out translated {nat.In - nat.DroppedTotal} packets at {nat.NanosecondsPerPacket:F1} ns each (sampled)");
            NatOutCycles.Add((nat.NanosecondsPerPacket ?? double.NaN) * CpuClock.GigaHertz);
        }
        Verify(drained && flowRx == testpmdTx, $"{name}: testpmd sent {testpmdTx}, Flow received {flowRx}");
        Verify(stats.IsBalanced, $"{name}: conservation does not hold: " + string.Join("; ", stats.Stages));
        Verify(testpmdRx <= flowTx && flowTx <= flowRx, $"{name}: Flow received {flowRx}, sent {flowTx}, testpmd received {testpmdRx}");
        Verify(corrupt == 0 && @checked > 0, $"{name}: {corrupt} of {@checked} checked frames corrupt");
        // Every IPv4 frame is routed; only the ARP frame of each file (1 in 8 192) is not.
        Verify(forwarded >= flowRx - flowRx / 4096, $"{name}: routed {forwarded} of {flowRx} received");
        return pps;
    }

    private static void Verify(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
