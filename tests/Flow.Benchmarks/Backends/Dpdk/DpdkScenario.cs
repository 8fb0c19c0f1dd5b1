using System.Text.Json;
using Flow.Backends.Dpdk;
using Flow.Benchmarks.Backends.Memif;
using Flow.Benchmarks.Infrastructure;
using Flow.Benchmarks.Switch;
using Flow.TestKit;

namespace Flow.Benchmarks.Backends.Dpdk;

/// <summary>
/// Scenario <c>dpdk</c>: 64-byte frames over one net_memif queue pair, Flow's DPDK port against
/// testpmd on the same driver: the same PMD underneath, so any gap is Flow's overhead (shim call,
/// metadata, graph). The peer is pinned to cpu 1, the measured side to cpu 0:
/// <code>
///  testpmd_rx       testpmd server txonly @cpu1 ══memif══> testpmd client rxonly @cpu0
///  flow_dpdk_rx     testpmd server txonly @cpu1 ══memif══> Flow [dpdk_rx (net_memif client) → check] @cpu0
///  testpmd_tx       testpmd client txonly @cpu0 ══memif══> testpmd server rxonly @cpu1
///  flow_dpdk_tx     Flow [source (mbufs of the port's pool) → dpdk_tx (net_memif client)] @cpu0 ══memif══> testpmd server rxonly @cpu1
/// </code>
/// Rates are what the receiving side took in a fixed window after a warm-up; variants run
/// interleaved for several rounds, medians with min–max. Each Flow run verifies itself: after the
/// sender stops, the receiver's total equals the sender's exactly and Flow's graph balances;
/// Flow's receiver compares every frame with the first. EAL starts once for the whole run.
/// Then Flow's switch graph on two DPDK net_memif ports against l2fwd (<see cref="DpdkSwitchRun"/>).
/// Every round measures the cross-core latency first; per pair the figure is the median of the
/// rounds' ratios. The last line is one JSON object.
/// </summary>
public static class DpdkScenario
{
    private static int s_ports;

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 3);
        double seconds = ScenarioArgs.Double(args, "--seconds", 2.0);
        var window = TimeSpan.FromSeconds(seconds);
        var warm = TimeSpan.FromSeconds(1);
        if (!File.Exists("/usr/bin/dpdk-testpmd") || !DpdkEal.IsSupported)
        {
            Console.Error.WriteLine($"dpdk: dpdk-testpmd and the DPDK backend are required ({DpdkEal.NotSupportedReason ?? "apt-get install dpdk"})");
            return 2;
        }
        string? l2fwd = L2fwdPeer.Locate(out string why);
        if (l2fwd is null)
        {
            Console.Error.WriteLine("dpdk: DPDK l2fwd is required: " + why);
            return 2;
        }
        DpdkEal.EnsureInitialized();
        Console.WriteLine($"dpdk: {rounds} rounds, {seconds:F1} s window, 64-byte frames, peer on cpu 1, measured side on cpu 0, {DpdkEal.Version}");
        var content = new ContentTally();
        var variants = new (string Name, Func<Task<double>> Run)[]
        {
            ("testpmd_rx", () => Task.FromResult(TestpmdPair(serverSends: true, window, warm))),
            ("flow_dpdk_rx", () => FlowRx(window, warm, content)),
            ("testpmd_tx", () => Task.FromResult(TestpmdPair(serverSends: false, window, warm))),
            ("flow_dpdk_tx", () => FlowTx(window, warm)),
            ("l2fwd", () => Task.FromResult(SwitchScenario.RunL2fwd(l2fwd, window, bursts: 1, zeroCopy: false, traffic: null))),
            ("l2fwd_zc", () => Task.FromResult(SwitchScenario.RunL2fwd(l2fwd, window, bursts: 1, zeroCopy: true, traffic: null))),
            ("flow_switch_dpdk", () => DpdkSwitchRun.RunFlowSwitch(window, content)),
        };
        if (ScenarioArgs.String(args, "--only") is string only)
        {
            variants = variants.Where(v => only.Split(',').Contains(v.Name)).ToArray();
        }
        (string Flow, string Reference)[] pairs =
            [("flow_dpdk_rx", "testpmd_rx"), ("flow_dpdk_tx", "testpmd_tx"), ("flow_switch_dpdk", "l2fwd"), ("flow_switch_dpdk", "l2fwd_zc")];
        InterleavedRounds measured = await InterleavedRounds.RunAsync(rounds, variants, pairs);
        Console.WriteLine($"{"variant",-17} {"Mpps median",12} {"min–max",18}");
        foreach ((string name, _) in variants)
        {
            Samples s = measured.Samples[name];
            Console.WriteLine($"{name,-17} {s.Median / 1e6,12:F2} {$"{s.Min / 1e6:F2}–{s.Max / 1e6:F2}",18}");
        }
        var json = new Dictionary<string, object?> { ["scenario"] = "dpdk" };
        foreach ((string name, _) in variants)
        {
            json[name + "_pps"] = Figure(measured.Samples[name].Median);
        }
        foreach ((string flow, string reference) in pairs.Where(p => measured.Samples.ContainsKey(p.Flow) && measured.Samples.ContainsKey(p.Reference)))
        {
            Samples ratios = measured.PairedRatios[(flow, reference)];
            string target = reference.StartsWith("l2fwd", StringComparison.Ordinal) ? "1.00" : "0.95";
            Console.WriteLine($"{flow}/{reference}: {ratios.Median:F2} median of the rounds' ratios (min–max {ratios.Min:F2}–{ratios.Max:F2}) (target ≥ {target})");
            json[$"{flow}_vs_{reference}"] = double.IsNaN(ratios.Median) ? null : Math.Round(ratios.Median, 3);
            json[$"{flow}_vs_{reference}_min"] = double.IsNaN(ratios.Min) ? null : Math.Round(ratios.Min, 3);
            json[$"{flow}_vs_{reference}_max"] = double.IsNaN(ratios.Max) ? null : Math.Round(ratios.Max, 3);
        }
        Console.WriteLine($"cross-core latency: median {measured.Latency.Median:F0} ns (min {measured.Latency.Min:F0}, max {measured.Latency.Max:F0})");
        Console.WriteLine($"content: {content.Checked} frames compared at Flow's rx, {content.Corrupt} corrupt, {content.Missing} missing " +
            "(testpmd and l2fwd rows are counted, not checked)");
        json["checked"] = content.Checked;
        json["corrupt"] = content.Corrupt;
        json["missing"] = content.Missing;
        json["cross_core_latency_ns"] = Figure(measured.Latency.Median);
        json["failures"] = measured.Failures;
        json["rounds"] = rounds;
        Console.WriteLine(JsonSerializer.Serialize(json));
        return measured.Failures == 0 && content.Corrupt + content.Missing == 0 ? 0 : 1;
    }

    private static object? Figure(double value) => double.IsNaN(value) ? null : Math.Round(value);

    /// <summary>testpmd with one net_memif port (<paramref name="vdev"/>: its devargs) in forwarding mode <paramref name="mode"/>, both lcores on <paramref name="cpu"/>.</summary>
    private static Testpmd StartTestpmd(string vdev, string mode, int cpu) =>
        Testpmd.Interactive(new TestpmdOptions { Devices = [$"net_memif0,{vdev}"], Arguments = $"--total-num-mbufs=8192 --forward-mode={mode}", Cpu = cpu });

    private static string Socket() => $"/flow-bench/dpdk-{Environment.ProcessId}-{Guid.NewGuid():N}";

    private static double TestpmdPair(bool serverSends, TimeSpan window, TimeSpan warm)
    {
        string socket = Socket();
        using Testpmd server = StartTestpmd($"role=server,id=0,socket={socket}", serverSends ? "txonly" : "rxonly", cpu: 1);
        using Testpmd client = StartTestpmd($"role=client,id=0,socket={socket}", serverSends ? "rxonly" : "txonly", cpu: 0);
        if (!client.WaitLinkUp() || !server.WaitLinkUp())
        {
            throw new InvalidOperationException("testpmd pair did not link up");
        }
        Testpmd receiver = serverSends ? client : server;
        Testpmd sender = serverSends ? server : client;
        receiver.Send("start");
        sender.Send("start");
        Thread.Sleep(warm);
        long start = receiver.PortStats().Rx;
        long t0 = Environment.TickCount64;
        Thread.Sleep(window);
        long end = receiver.PortStats().Rx;
        double pps = (end - start) * 1000.0 / (Environment.TickCount64 - t0);
        sender.Send("stop");
        long sent = sender.SettledPortStats().Tx;
        long received = receiver.SettledPortStats().Rx;
        if (sent != received)
        {
            throw new InvalidOperationException($"testpmd sent {sent} but testpmd received {received}");
        }
        return pps;
    }

    /// <summary>testpmd's server first, then Flow's DPDK net_memif client; returns once the link is up.</summary>
    private static (Testpmd Peer, DpdkPort Port) Connect(string peerMode)
    {
        string socket = Socket();
        Testpmd server = StartTestpmd($"role=server,id=0,socket={socket}", peerMode, cpu: 1);
        DpdkPort port;
        try
        {
            port = DpdkPort.Open(new DpdkOptions { Device = $"net_memif_bench{Interlocked.Increment(ref s_ports)},role=client,id=0,socket={socket}", PoolMbufs = 8191 });
        }
        catch
        {
            server.Dispose();
            throw;
        }
        if (!Waits.TryUntilBlocking(() => port.Link.Up, TimeSpan.FromSeconds(20)) || !server.WaitLinkUp())
        {
            port.Dispose();
            server.Dispose();
            throw new InvalidOperationException("Flow's DPDK net_memif client and testpmd did not connect");
        }
        return (server, port);
    }

    private static async Task<double> FlowRx(TimeSpan window, TimeSpan warm, ContentTally content)
    {
        (Testpmd peer, DpdkPort port) = Connect("txonly");
        using (peer)
        using (port)
        {
            var options = new DpdkOptions { Device = port.Device };
            var rx = new DpdkRx(port, options);
            FrameChecker check = FrameChecker.Template(sampleEvery: 1);
            using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 0, idle: IdlePolicy.BusyPoll)
                .Add("rx", rx).Add("check", new FrameCheckSink(check)).Connect("rx", "check").Build();
            graph.Start();
            peer.Send("start");
            Thread.Sleep(warm);
            long start = rx.Received;
            long t0 = Environment.TickCount64;
            Thread.Sleep(window);
            long end = rx.Received;
            double pps = (end - start) * 1000.0 / (Environment.TickCount64 - t0);
            peer.Send("stop");
            long sent = peer.SettledPortStats().Tx;
            Waits.TryUntilBlocking(() => rx.Received == sent, TimeSpan.FromSeconds(5));
            await graph.StopAsync();
            GraphStats stats = graph.GetStats();
            content.Add(check, missing: Math.Max(0, sent - rx.Received));
            if (rx.Received != sent || !stats.IsBalanced || check.Corrupt != 0)
            {
                throw new InvalidOperationException($"testpmd sent {sent}, Flow received {rx.Received} ({check.Corrupt} corrupt), balanced {stats.IsBalanced}");
            }
            return pps;
        }
    }

    private static async Task<double> FlowTx(TimeSpan window, TimeSpan warm)
    {
        (Testpmd peer, DpdkPort port) = Connect("rxonly");
        using (peer)
        using (port)
        {
            peer.Send("start");
            var tx = new DpdkTx(port, new DpdkOptions { Device = port.Device });
            // Frames allocated from the port's own mempool: dpdk_tx sends them as the mbufs they are.
            using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 0, idle: IdlePolicy.BusyPoll)
                .Add("source", new SharedPoolSource(port.Pool)).Add("tx", tx).Connect("source", "tx").Build();
            graph.Start();
            Thread.Sleep(warm);
            long start = peer.PortStats().Rx;
            long t0 = Environment.TickCount64;
            Thread.Sleep(window);
            long end = peer.PortStats().Rx;
            double pps = (end - start) * 1000.0 / (Environment.TickCount64 - t0);
            await graph.StopAsync(drain: false);
            long received = peer.SettledPortStats().Rx;
            GraphStats stats = graph.GetStats();
            if (received != tx.Sent || !stats.IsBalanced || tx.Copies != 0)
            {
                throw new InvalidOperationException($"Flow sent {tx.Sent} ({tx.Copies} copies), testpmd received {received}, balanced {stats.IsBalanced}");
            }
            return pps;
        }
    }
}
