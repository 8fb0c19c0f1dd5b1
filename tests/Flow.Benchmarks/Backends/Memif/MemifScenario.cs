using System.Text.Json;
using Flow.Backends.Memif;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Backends.Memif;

/// <summary>
/// Scenario <c>memif</c>: 64-byte packets over one memif queue pair, Flow against DPDK's own
/// net_memif PMD on the same machine, same run. The peer is pinned to cpu 1, the measured side
/// to cpu 0:
/// <code>
///  testpmd_rx   testpmd server txonly @cpu1 ══memif══> testpmd client rxonly @cpu0     (reference)
///  flow_rx      testpmd server txonly @cpu1 ══memif══> Flow client [memif_rx → null_sink] @cpu0
///  testpmd_tx   testpmd client txonly @cpu0 ══memif══> testpmd server rxonly @cpu1     (reference)
///  flow_tx      Flow client [shared_pool_source → memif_tx] @cpu0 ══memif══> testpmd server rxonly @cpu1
/// </code>
/// Rates are what the receiving side took off the ring in a fixed window after a warm-up.
/// Variants run interleaved for several rounds; figures are medians with min–max. Every run
/// verifies itself before its figure counts: after the sender stops and the ring drains, the
/// receiver's total equals the sender's total exactly, and Flow's graph balances.
/// The last line is one JSON object:
/// <c>{"scenario":"memif","testpmd_rx_pps":…,"flow_rx_pps":…,"testpmd_tx_pps":…,"flow_tx_pps":…}</c>.
/// </summary>
public static class MemifScenario
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 3);
        double seconds = ScenarioArgs.Double(args, "--seconds", 2.0);
        var window = TimeSpan.FromSeconds(seconds);
        var warm = TimeSpan.FromSeconds(1);
        if (!File.Exists("/usr/bin/dpdk-testpmd"))
        {
            Console.Error.WriteLine("memif: dpdk-testpmd is required (apt-get install dpdk)");
            return 2;
        }
        Console.WriteLine($"memif: {rounds} rounds, {seconds:F1} s window, 64-byte frames, peer on cpu 1, measured side on cpu 0");
        var variants = new (string Name, Func<Task<double>> Run)[]
        {
            ("testpmd_rx", () => Task.FromResult(TestpmdToTestpmd(rx: true, window, warm))),
            ("flow_rx", () => FlowRx(window, warm)),
            ("testpmd_tx", () => Task.FromResult(TestpmdToTestpmd(rx: false, window, warm))),
            ("flow_tx", () => FlowTx(window, warm)),
        };
        var samples = variants.ToDictionary(v => v.Name, _ => new Samples());
        int failures = 0;
        for (int round = 0; round < rounds; round++)
        {
            foreach ((string name, Func<Task<double>> run) in variants)
            {
                try
                {
                    double pps = await run();
                    samples[name].Add(pps);
                    Console.WriteLine($"  round {round + 1} {name,-11} {pps / 1e6,8:F2} Mpps");
                }
                catch (InvalidOperationException exception)
                {
                    failures++;
                    Console.WriteLine($"  round {round + 1} {name,-11} FAILED: {exception.Message}");
                }
            }
        }
        Console.WriteLine($"{"variant",-12} {"Mpps median",12} {"min–max",18} {"× testpmd",10}");
        foreach ((string name, _) in variants)
        {
            Samples s = samples[name];
            double reference = samples[name.EndsWith("_rx", StringComparison.Ordinal) ? "testpmd_rx" : "testpmd_tx"].Median;
            Console.WriteLine($"{name,-12} {s.Median / 1e6,12:F2} {$"{s.Min / 1e6:F2}–{s.Max / 1e6:F2}",18} {s.Median / reference,10:F2}");
        }
        var json = new Dictionary<string, object>
        {
            ["scenario"] = "memif",
            ["testpmd_rx_pps"] = Math.Round(samples["testpmd_rx"].Median),
            ["flow_rx_pps"] = Math.Round(samples["flow_rx"].Median),
            ["testpmd_tx_pps"] = Math.Round(samples["testpmd_tx"].Median),
            ["flow_tx_pps"] = Math.Round(samples["flow_tx"].Median),
        };
        Console.WriteLine(JsonSerializer.Serialize(json));
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// An abstract name, as testpmd's net_memif uses by default: Flow's side asks for it with
    /// <c>Abstract = true</c> (its default is a socket file). The peers are root, as Flow is here.
    /// </summary>
    private static string Socket() => $"/flow-bench/memif-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>testpmd → testpmd: the receiving testpmd on cpu 0, the sending one on cpu 1.</summary>
    private static double TestpmdToTestpmd(bool rx, TimeSpan window, TimeSpan warm)
    {
        string socket = Socket();
        // rx: server sends (txonly, cpu 1), client receives (cpu 0). tx: client sends (cpu 0), server receives (cpu 1).
        using TestpmdPeer server = TestpmdPeer.Start($"role=server,id=0,socket={socket}", rx ? "txonly" : "rxonly", cpu: 1);
        using TestpmdPeer client = TestpmdPeer.Start($"role=client,id=0,socket={socket}", rx ? "rxonly" : "txonly", cpu: 0);
        if (!client.WaitLinkUp() || !server.WaitLinkUp())
        {
            throw new InvalidOperationException("testpmd pair did not link up");
        }
        TestpmdPeer receiver = rx ? client : server;
        TestpmdPeer sender = rx ? server : client;
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

    private static async Task<double> FlowRx(TimeSpan window, TimeSpan warm)
    {
        string socket = Socket();
        using TestpmdPeer server = TestpmdPeer.Start($"role=server,id=0,socket={socket}", "txonly", cpu: 1);
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Abstract = true, Role = MemifRole.Client });
        if (!client.WaitConnected(TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException("Flow client did not connect: " + client.LastDisconnectReason);
        }
        var rx = new MemifRx(client, 0);
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 0, idle: IdlePolicy.BusyPoll)
            .Add("rx", rx).Add("sink", new NullSink()).Connect("rx", "sink").Build();
        graph.Start();
        server.Send("start");
        Thread.Sleep(warm);
        long start = client.GetRxStats(0).Packets;
        long t0 = Environment.TickCount64;
        Thread.Sleep(window);
        long end = client.GetRxStats(0).Packets;
        double pps = (end - start) * 1000.0 / (Environment.TickCount64 - t0);
        server.Send("stop");
        long sent = server.SettledPortStats().Tx;
        TestpmdPeer.Wait(() => client.GetRxStats(0).Packets == sent, 5);
        await graph.StopAsync();
        GraphStats stats = graph.GetStats();
        long received = client.GetRxStats(0).Packets;
        if (received != sent || !stats.IsBalanced || stats.Stage("sink").Consumed != received)
        {
            throw new InvalidOperationException($"testpmd sent {sent}, Flow received {received}, sink consumed {stats.Stage("sink").Consumed}, balanced {stats.IsBalanced}");
        }
        return pps;
    }

    private static async Task<double> FlowTx(TimeSpan window, TimeSpan warm)
    {
        string socket = Socket();
        using TestpmdPeer server = TestpmdPeer.Start($"role=server,id=0,socket={socket}", "rxonly", cpu: 1);
        using MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Abstract = true, Role = MemifRole.Client });
        if (!client.WaitConnected(TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException("Flow client did not connect: " + client.LastDisconnectReason);
        }
        server.Send("start");
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 0, idle: IdlePolicy.BusyPoll)
            .Add("source", new SharedPoolSource(client.SharedPool!)).Add("tx", new MemifTx(client, 0)).Connect("source", "tx").Build();
        graph.Start();
        Thread.Sleep(warm);
        long start = server.PortStats().Rx;
        long t0 = Environment.TickCount64;
        Thread.Sleep(window);
        long end = server.PortStats().Rx;
        double pps = (end - start) * 1000.0 / (Environment.TickCount64 - t0);
        await graph.StopAsync(drain: false);
        long sent = client.GetTxStats(0).Packets;
        long received = server.SettledPortStats().Rx;
        GraphStats stats = graph.GetStats();
        if (received != sent || !stats.IsBalanced)
        {
            throw new InvalidOperationException($"Flow sent {sent}, testpmd received {received}, balanced {stats.IsBalanced}");
        }
        return pps;
    }
}
