using System.Text.Json;
using Flow.Backends.Memif;
using Flow.Benchmarks.Infrastructure;
using Flow.TestKit;

namespace Flow.Benchmarks.Backends.Memif;

/// <summary>
/// Scenario <c>memif</c>: 64-byte packets over one memif queue pair, Flow against DPDK's own
/// net_memif PMD on the same machine, same run. The peer is pinned to cpu 1, the measured side
/// to cpu 0:
/// <code>
///  testpmd_rx         testpmd server txonly @cpu1 ══memif══> testpmd client rxonly @cpu0            (reference, copy)
///  testpmd_zc_rx      testpmd server txonly @cpu1 ══memif══> testpmd client rxonly zero-copy @cpu0  (reference at its best)
///  flow_rx            testpmd server txonly @cpu1 ══memif══> Flow client [memif_rx → check] @cpu0
///  testpmd_tx         testpmd client txonly @cpu0 ══memif══> testpmd server rxonly @cpu1            (reference, copy)
///  testpmd_zc_tx      testpmd client txonly zero-copy @cpu0 ══memif══> testpmd server rxonly @cpu1  (reference at its best)
///  flow_tx            Flow client [shared_pool_source → memif_tx] @cpu0 ══memif══> testpmd server rxonly @cpu1
///  testpmd_server_rx  testpmd client txonly zero-copy @cpu1 ══memif══> testpmd server rxonly @cpu0  (reference)
///  flow_server_rx     testpmd client txonly zero-copy @cpu1 ══memif══> Flow server [memif_rx → check] @cpu0
///  testpmd_server_tx  testpmd server txonly @cpu0 ══memif══> testpmd client rxonly zero-copy @cpu1  (reference)
///  flow_server_tx     Flow server [source → memif_tx] @cpu0 ══memif══> testpmd client rxonly zero-copy @cpu1
/// </code>
/// DPDK's memif zero copy (<c>zero-copy=yes</c>, with <c>--single-file-segments</c>) exists in
/// the client role only: the client creates every shared region, so only it can hand the server
/// its own mempool memory; a server always copies between its mbufs and the client's buffers
/// (DPDK's net_memif guide, "Zero-copy client"). The server rows therefore face a zero-copy
/// client peer, and Flow's server copies as DPDK's does.
/// Rates are what the receiving side took off the ring in a fixed window after a warm-up.
/// Variants run interleaved for several rounds; figures are medians with min–max. Every run
/// verifies itself before its figure counts: after the sender stops and the ring drains, the
/// receiver's total equals the sender's total exactly, and Flow's graph balances. Content:
/// Flow's receivers compare every frame with the first (length, Ethernet/IPv4/UDP headers,
/// IPv4 checksum); Flow's senders are checked after their window by an echo run — a testpmd in
/// io mode returns 512 sequenced frames the same Flow path sent, and Flow verifies each byte.
/// testpmd↔testpmd rows are counted, not checked (testpmd cannot look at the bytes).
/// The last line is one JSON object.
/// </summary>
public static class MemifScenario
{
    // Fewer than a ring holds: the client's sender and receiver share one pool, and a sender that took
    // every frame would leave the receiver none to post for the echo.
    private const int EchoFrames = 512;

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
        var content = new ContentTally();
        var variants = new (string Name, string Reference, Func<Task<double>> Run)[]
        {
            ("testpmd_rx", "testpmd_rx", () => Task.FromResult(TestpmdPair(serverSends: true, measuredIsServer: false, zeroCopy: false, window, warm))),
            ("testpmd_zc_rx", "testpmd_rx", () => Task.FromResult(TestpmdPair(serverSends: true, measuredIsServer: false, zeroCopy: true, window, warm))),
            ("flow_rx", "testpmd_rx", () => FlowRx(MemifRole.Client, window, warm, content)),
            ("testpmd_tx", "testpmd_tx", () => Task.FromResult(TestpmdPair(serverSends: false, measuredIsServer: false, zeroCopy: false, window, warm))),
            ("testpmd_zc_tx", "testpmd_tx", () => Task.FromResult(TestpmdPair(serverSends: false, measuredIsServer: false, zeroCopy: true, window, warm))),
            ("flow_tx", "testpmd_tx", () => FlowTx(MemifRole.Client, window, warm, content)),
            ("testpmd_server_rx", "testpmd_server_rx", () => Task.FromResult(TestpmdPair(serverSends: false, measuredIsServer: true, zeroCopy: true, window, warm))),
            ("flow_server_rx", "testpmd_server_rx", () => FlowRx(MemifRole.Server, window, warm, content)),
            ("testpmd_server_tx", "testpmd_server_tx", () => Task.FromResult(TestpmdPair(serverSends: true, measuredIsServer: true, zeroCopy: true, window, warm))),
            ("flow_server_tx", "testpmd_server_tx", () => FlowTx(MemifRole.Server, window, warm, content)),
        };
        string? only = ScenarioArgs.String(args, "--only");
        if (only is not null)
        {
            string[] chosen = only.Split(',');
            variants = variants.Where(v => chosen.Contains(v.Name)).ToArray();
        }
        var samples = variants.ToDictionary(v => v.Name, _ => new Samples());
        var latency = new Samples();
        int failures = 0;
        for (int round = 0; round < rounds; round++)
        {
            double ns = CrossCoreLatency.MeasureNanoseconds();
            latency.Add(ns);
            Console.WriteLine($"  round {round + 1} cross-core latency {ns:F0} ns");
            foreach ((string name, _, Func<Task<double>> run) in variants)
            {
                try
                {
                    double pps = await run();
                    samples[name].Add(pps);
                    Console.WriteLine($"  round {round + 1} {name,-17} {pps / 1e6,8:F2} Mpps");
                }
                catch (InvalidOperationException exception)
                {
                    failures++;
                    Console.WriteLine($"  round {round + 1} {name,-17} FAILED: {exception.Message}");
                }
            }
        }
        double Median(string name) => samples.TryGetValue(name, out Samples? s) ? s.Median : double.NaN;
        Console.WriteLine($"{"variant",-18} {"Mpps median",12} {"min–max",18} {"× testpmd",10} {"× testpmd zc",13}");
        foreach ((string name, string reference, _) in variants)
        {
            Samples s = samples[name];
            string zc = reference.Replace("testpmd_", "testpmd_zc_", StringComparison.Ordinal);
            string vsZc = reference.Contains("server", StringComparison.Ordinal) ? "" : $"{s.Median / Median(zc),13:F2}";
            Console.WriteLine($"{name,-18} {s.Median / 1e6,12:F2} {$"{s.Min / 1e6:F2}–{s.Max / 1e6:F2}",18} {s.Median / Median(reference),10:F2} {vsZc}");
        }
        Console.WriteLine($"cross-core latency: median {latency.Median:F0} ns (min {latency.Min:F0}, max {latency.Max:F0})");
        Console.WriteLine($"content: {content.Checked} frames compared, {content.Corrupt} corrupt, {content.Missing} missing, {content.Duplicates} duplicated " +
            $"(Flow receivers: every frame; Flow senders: an echo of {EchoFrames} sequenced frames per run)");
        var json = new Dictionary<string, object?> { ["scenario"] = "memif" };
        foreach ((string name, _, _) in variants)
        {
            json[name + "_pps"] = Figure(Median(name));
        }
        json["checked"] = content.Checked;
        json["corrupt"] = content.Corrupt;
        json["missing"] = content.Missing;
        json["duplicates"] = content.Duplicates;
        json["failures"] = failures;
        json["cross_core_latency_ns"] = Figure(latency.Median);
        Console.WriteLine(JsonSerializer.Serialize(json));
        return failures == 0 && content.Corrupt == 0 && content.Missing == 0 ? 0 : 1;
    }

    private static object? Figure(double value) => double.IsNaN(value) ? null : Math.Round(value);

    /// <summary>
    /// An abstract name, as testpmd's net_memif uses by default: Flow's side asks for it with
    /// <c>Abstract = true</c> (its default is a socket file). The peers are root, as Flow is here.
    /// </summary>
    private static string Socket() => $"/flow-bench/memif-{Environment.ProcessId}-{Guid.NewGuid():N}";

    private static string ClientArgs(string socket, bool zeroCopy) => $"role=client,id=0,socket={socket}{(zeroCopy ? ",zero-copy=yes" : "")}";

    /// <summary>
    /// testpmd → testpmd. The measured testpmd (server when <paramref name="measuredIsServer"/>)
    /// on cpu 0, the other on cpu 1; the server sends when <paramref name="serverSends"/>; the
    /// client in zero-copy mode when <paramref name="zeroCopy"/>. The figure is the receiver's rate.
    /// </summary>
    private static double TestpmdPair(bool serverSends, bool measuredIsServer, bool zeroCopy, TimeSpan window, TimeSpan warm)
    {
        string socket = Socket();
        using Testpmd server = StartTestpmd($"role=server,id=0,socket={socket}", serverSends ? "txonly" : "rxonly", cpu: measuredIsServer ? 0 : 1);
        using Testpmd client = StartTestpmd(ClientArgs(socket, zeroCopy), serverSends ? "rxonly" : "txonly", cpu: measuredIsServer ? 1 : 0);
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

    /// <summary>testpmd at its prompt with one net_memif port (<paramref name="vdev"/>: its devargs) in forwarding mode <paramref name="mode"/>.</summary>
    private static Testpmd StartTestpmd(string vdev, string mode, int cpu) =>
        Testpmd.Interactive(new TestpmdOptions { Devices = [$"net_memif0,{vdev}"], Arguments = $"--total-num-mbufs=8192 --forward-mode={mode}", Cpu = cpu });

    /// <summary>
    /// Flow in <paramref name="role"/> and its testpmd peer (the other role; a zero-copy client
    /// when Flow is the server). The peer is started after a Flow server listens and before a
    /// Flow client connects. Returns after both are connected.
    /// </summary>
    private static (Testpmd Peer, MemifInterface Flow) Connect(MemifRole role, string peerMode)
    {
        string socket = Socket();
        if (role == MemifRole.Client)
        {
            Testpmd server = StartTestpmd($"role=server,id=0,socket={socket}", peerMode, cpu: 1);
            MemifInterface client = MemifInterface.Create(new MemifOptions { Socket = socket, Abstract = true, Role = MemifRole.Client });
            return Connected(server, client);
        }
        // DPDK's zero-copy client offers its memseg file as the region: trusted here (same
        // benchmark, root), so the server accepts it though it is not sealed against shrinking.
        MemifInterface flowServer = MemifInterface.Create(new MemifOptions { Socket = socket, Abstract = true, Role = MemifRole.Server, AllowUnsealedRegions = true });
        Testpmd peer;
        try
        {
            peer = StartTestpmd(ClientArgs(socket, zeroCopy: true), peerMode, cpu: 1);
        }
        catch
        {
            flowServer.Dispose();
            throw;
        }
        return Connected(peer, flowServer);
    }

    private static (Testpmd, MemifInterface) Connected(Testpmd peer, MemifInterface flow)
    {
        if (!flow.WaitConnected(TimeSpan.FromSeconds(20)) || !peer.WaitLinkUp())
        {
            string reason = flow.LastDisconnectReason ?? "";
            flow.Dispose();
            peer.Dispose();
            throw new InvalidOperationException($"Flow {flow.Role} and testpmd did not connect: {reason}");
        }
        return (peer, flow);
    }

    private static async Task<double> FlowRx(MemifRole role, TimeSpan window, TimeSpan warm, ContentTally content)
    {
        (Testpmd peer, MemifInterface memif) = Connect(role, "txonly");
        using (peer)
        using (memif)
        {
            var rx = new MemifRx(memif, 0);
            FrameChecker check = FrameChecker.Template();
            using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 0, idle: IdlePolicy.BusyPoll)
                .Add("rx", rx).Add("check", new FrameCheckSink(check)).Connect("rx", "check").Build();
            graph.Start();
            peer.Send("start");
            Thread.Sleep(warm);
            long start = memif.GetRxStats(0).Packets;
            long t0 = Environment.TickCount64;
            Thread.Sleep(window);
            long end = memif.GetRxStats(0).Packets;
            double pps = (end - start) * 1000.0 / (Environment.TickCount64 - t0);
            peer.Send("stop");
            long sent = peer.SettledPortStats().Tx;
            Waits.TryUntilBlocking(() => memif.GetRxStats(0).Packets == sent, TimeSpan.FromSeconds(5));
            await graph.StopAsync();
            GraphStats stats = graph.GetStats();
            long received = memif.GetRxStats(0).Packets;
            content.Add(check, missing: Math.Max(0, sent - received));
            if (received != sent || !stats.IsBalanced || stats.Stage("check").Consumed != received || check.Corrupt != 0)
            {
                throw new InvalidOperationException($"testpmd sent {sent}, Flow received {received}, check took {stats.Stage("check").Consumed} " +
                    $"({check.Corrupt} corrupt), balanced {stats.IsBalanced}");
            }
            return pps;
        }
    }

    private static async Task<double> FlowTx(MemifRole role, TimeSpan window, TimeSpan warm, ContentTally content)
    {
        double pps;
        (Testpmd peer, MemifInterface memif) = Connect(role, "rxonly");
        using (peer)
        using (memif)
        using (PacketPool? own = role == MemifRole.Server ? PacketPool.Create(4096, name: "bench-server-tx") : null)
        {
            peer.Send("start");
            // Client: frames straight in the shared region (memif_tx posts them, no copy).
            // Server: frames in Flow's own pool, copied into the client's buffers as DPDK's server does.
            PacketPool pool = own ?? memif.SharedPool!;
            using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 0, idle: IdlePolicy.BusyPoll)
                .Add("source", new SharedPoolSource(pool)).Add("tx", new MemifTx(memif, 0)).Connect("source", "tx").Build();
            graph.Start();
            Thread.Sleep(warm);
            long start = peer.PortStats().Rx;
            long t0 = Environment.TickCount64;
            Thread.Sleep(window);
            long end = peer.PortStats().Rx;
            pps = (end - start) * 1000.0 / (Environment.TickCount64 - t0);
            await graph.StopAsync(drain: false);
            long sent = memif.GetTxStats(0).Packets;
            long received = peer.SettledPortStats().Rx;
            GraphStats stats = graph.GetStats();
            if (received != sent || !stats.IsBalanced)
            {
                content.Add(null, missing: Math.Max(0, sent - received));
                throw new InvalidOperationException($"Flow sent {sent}, testpmd received {received}, balanced {stats.IsBalanced}");
            }
        }
        await EchoCheck(role, content);
        return pps;
    }

    /// <summary>
    /// The content check of a Flow sender: the same role and tx path send <see cref="EchoFrames"/>
    /// sequenced frames to a testpmd in io mode, which returns each on the same port; Flow's
    /// receiver verifies every byte and ticks off every sequence.
    /// </summary>
    private static async Task EchoCheck(MemifRole role, ContentTally content)
    {
        (Testpmd peer, MemifInterface memif) = Connect(role, "io");
        using (peer)
        using (memif)
        using (PacketPool? own = role == MemifRole.Server ? PacketPool.Create(4096, name: "bench-echo") : null)
        {
            peer.Send("start");
            byte[] mac = TestFrames.Mac("02:fb:00:00:00:01");
            FrameChecker check = FrameChecker.Sequenced(EchoFrames);
            var source = new SequenceSource(own ?? memif.SharedPool!, mac, mac, EchoFrames, [64], echo: check);
            using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 0, idle: IdlePolicy.BusyPoll)
                .Add("source", source).Add("tx", new MemifTx(memif, 0)).Connect("source", "tx")
                .Add("rx", new MemifRx(memif, 0)).Add("check", new FrameCheckSink(check)).Connect("rx", "check")
                .Build();
            graph.Start();
            Thread.Sleep(200); // Flow's rx posts its buffers before the first frame goes out
            source.Arm();
            Waits.TryUntilBlocking(() => memif.GetRxStats(0).Packets >= EchoFrames, TimeSpan.FromSeconds(20));
            await graph.StopAsync();
            content.Add(check, check.Missing);
            if (check.Corrupt != 0 || check.Missing != 0)
            {
                (long peerRx, long peerTx) = peer.PortStats();
                throw new InvalidOperationException($"echo of Flow {role}'s frames: {source.Sent} sent, testpmd io took {peerRx} and returned {peerTx}, {check.Checked} came back, " +
                    $"{check.Corrupt} corrupt, {check.Missing} missing, {check.Duplicates} duplicated");
            }
        }
    }
}
