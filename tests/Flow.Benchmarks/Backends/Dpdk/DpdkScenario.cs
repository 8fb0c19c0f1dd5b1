using System.Text.Json;
using Flow.Backends.Dpdk;
using Flow.Benchmarks.Backends.Memif;
using Flow.Benchmarks.Infrastructure;
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
/// The switch-on-DPDK-ports against l2fwd half of issue 17's scenario is not here yet
/// (<c>l2fwd_pps</c>, <c>flow_switch_dpdk_pps</c> print null). The last line is one JSON object.
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
        DpdkEal.EnsureInitialized();
        Console.WriteLine($"dpdk: {rounds} rounds, {seconds:F1} s window, 64-byte frames, peer on cpu 1, measured side on cpu 0, {DpdkEal.Version}");
        var variants = new (string Name, string Reference, Func<Task<double>> Run)[]
        {
            ("testpmd_rx", "testpmd_rx", () => Task.FromResult(TestpmdPair(serverSends: true, window, warm))),
            ("flow_dpdk_rx", "testpmd_rx", () => FlowRx(window, warm)),
            ("testpmd_tx", "testpmd_tx", () => Task.FromResult(TestpmdPair(serverSends: false, window, warm))),
            ("flow_dpdk_tx", "testpmd_tx", () => FlowTx(window, warm)),
        };
        var samples = variants.ToDictionary(v => v.Name, _ => new Samples());
        int failures = 0;
        for (int round = 0; round < rounds; round++)
        {
            foreach ((string name, _, Func<Task<double>> run) in variants)
            {
                try
                {
                    double pps = await run();
                    samples[name].Add(pps);
                    Console.WriteLine($"  round {round + 1} {name,-14} {pps / 1e6,8:F2} Mpps");
                }
                catch (InvalidOperationException exception)
                {
                    failures++;
                    Console.WriteLine($"  round {round + 1} {name,-14} FAILED: {exception.Message}");
                }
            }
        }
        Console.WriteLine($"{"variant",-15} {"Mpps median",12} {"min–max",18} {"× testpmd",10}");
        foreach ((string name, string reference, _) in variants)
        {
            Samples s = samples[name];
            Console.WriteLine($"{name,-15} {s.Median / 1e6,12:F2} {$"{s.Min / 1e6:F2}–{s.Max / 1e6:F2}",18} {s.Median / samples[reference].Median,10:F2}");
        }
        var json = new Dictionary<string, object?> { ["scenario"] = "dpdk" };
        foreach ((string name, _, _) in variants)
        {
            json[name + "_pps"] = double.IsNaN(samples[name].Median) ? null : Math.Round(samples[name].Median);
        }
        json["l2fwd_pps"] = null;
        json["flow_switch_dpdk_pps"] = null;
        json["failures"] = failures;
        Console.WriteLine(JsonSerializer.Serialize(json));
        return failures == 0 ? 0 : 1;
    }

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

    private static async Task<double> FlowRx(TimeSpan window, TimeSpan warm)
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
