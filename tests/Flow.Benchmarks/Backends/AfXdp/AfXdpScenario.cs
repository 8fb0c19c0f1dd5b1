using System.Diagnostics;
using System.Text.Json;
using Flow.Backends.AfXdp;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Backends.AfXdp;

/// <summary>
/// Scenario <c>afxdp</c>: Flow's AF_XDP rx and tx stages against DPDK's net_af_xdp PMD
/// (dpdk-testpmd) on a veth pair, 64-byte frames.
/// <code>
///   cpu 0 (measured side)                                    cpu 1 (peer, private netns)
///   testpmd_rx:  testpmd rxonly  @ Local  &lt;==veth==  Peer @ testpmd txonly
///   flow_rx:     Flow [af_xdp_rx → null_sink] @ Local  &lt;==  Peer @ testpmd txonly
///   testpmd_tx:  testpmd txonly  @ Local  ==veth==&gt;  Peer @ testpmd rxonly   (counted here)
///   flow_tx:     Flow [generator → af_xdp_tx] @ Local  ==&gt; Peer @ testpmd rxonly (counted here)
/// </code>
/// Each row runs twice over, with the same polling on both sides: testpmd with DPDK's default
/// busy_budget (preferred busy polling on) beside <c>flow_busy_rx</c>/<c>flow_busy_tx</c>
/// (<see cref="AfXdpOptions.BusyPollBudget"/> = 64), and testpmd with <c>busy_budget=0</c>
/// (<c>testpmd_nobusy_*</c>) beside Flow's default (<c>flow_rx</c>/<c>flow_tx</c>).
/// Conditions, the same for Flow and testpmd: XDP program attached in native (driver) mode on
/// both veth ends (testpmd's PMD picks native on veth; Flow is told Native), copy bind (veth has
/// no zero-copy), need-wakeup on, default (non-threaded) NAPI: the kernel's veth/XDP work and
/// the copy into the receiver's UMEM run in softirq on the sending CPU. Rx figures are the
/// receiver's own rate on cpu 0; tx figures are what the peer's rxonly counted on cpu 1.
/// Variants run interleaved for several rounds; each warms up for a second and then measures a
/// window; figures are medians with min–max. A Flow run verifies itself (conservation holds,
/// packets were counted at both ends) before its figure counts. Last line: one JSON object.
/// </summary>
public static class AfXdpScenario
{
    private const int MeasuredCpu = 0;
    private const int PeerCpu = 1;

    // Fewer than the UMEM's free frames and the rings' slots: the echo must not overrun the peer.
    private const int EchoFrames = 512;

    private static AfXdpAttachMode s_attach = AfXdpAttachMode.Native;

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 3);
        double seconds = ScenarioArgs.Double(args, "--seconds", 3);
        s_attach = ScenarioArgs.String(args, "--attach") == "skb" ? AfXdpAttachMode.Skb : AfXdpAttachMode.Native;
        if (!AfXdpPort.IsSupported)
        {
            Console.Error.WriteLine($"afxdp: {AfXdpPort.NotSupportedReason}");
            return 1;
        }
        if (Environment.ProcessorCount < 2)
        {
            Console.Error.WriteLine("afxdp: needs 2 CPUs (measured side on cpu 0, peer on cpu 1)");
            return 1;
        }
        Console.WriteLine($"afxdp: {rounds} rounds, {seconds:F1} s window, 64-byte frames; measured side cpu {MeasuredCpu}, peer cpu {PeerCpu}");
        Console.WriteLine("conditions: native XDP on both veth ends, copy bind, need-wakeup on, softirq NAPI on the sending cpu");

        using var veth = new BenchVeth();
        var content = new ContentTally();
        string[] txRows = ["testpmd_tx", "flow_busy_tx", "testpmd_nobusy_tx", "flow_tx"];
        var delivery = txRows.ToDictionary(name => name, _ => new DeliveryTally());
        // Pairs with the same polling: DPDK's default busy_budget (64, preferred busy polling on)
        // against Flow with BusyPollBudget = 64; busy_budget=0 against Flow's default (off).
        var variants = new (string Name, Func<BenchVeth, TimeSpan, Task<double>> Run)[]
        {
            ("testpmd_rx", (v, w) => TestpmdRx(v, w, busyBudget: null)),
            ("flow_busy_rx", (v, w) => FlowRx(v, w, busyBudget: 64, content)),
            ("testpmd_nobusy_rx", (v, w) => TestpmdRx(v, w, busyBudget: 0)),
            ("flow_rx", (v, w) => FlowRx(v, w, busyBudget: 0, content)),
            ("testpmd_tx", (v, w) => TestpmdTx(v, w, busyBudget: null, delivery["testpmd_tx"])),
            ("flow_busy_tx", (v, w) => FlowTx(v, w, busyBudget: 64, content, delivery["flow_busy_tx"])),
            ("testpmd_nobusy_tx", (v, w) => TestpmdTx(v, w, busyBudget: 0, delivery["testpmd_nobusy_tx"])),
            ("flow_tx", (v, w) => FlowTx(v, w, busyBudget: 0, content, delivery["flow_tx"])),
        };
        string? only = ScenarioArgs.String(args, "--only");
        if (only is not null)
        {
            string[] chosen = only.Split(',');
            variants = variants.Where(v => chosen.Contains(v.Name)).ToArray();
        }
        var pps = variants.ToDictionary(v => v.Name, _ => new Samples());
        var latency = new Samples();
        var window = TimeSpan.FromSeconds(seconds);
        int failedStarts = 0;
        int failures = 0;
        for (int round = 1; round <= rounds; round++)
        {
            double ns = CrossCoreLatency.MeasureNanoseconds();
            latency.Add(ns);
            Console.Write($"round {round}: cross-core {ns:F0} ns |");
            foreach ((string name, var run) in variants)
            {
                // A testpmd that fails to start is counted, its output printed, and the run
                // retried once, so its median has as many samples as Flow's.
                for (int attempt = 1; attempt <= 2; attempt++)
                {
                    try
                    {
                        double rate = await run(veth, window);
                        pps[name].Add(rate);
                        Console.Write($" {name} {rate / 1e6:F3}");
                        break;
                    }
                    catch (FailedStartException failed)
                    {
                        failedStarts++;
                        Console.WriteLine();
                        Console.WriteLine($"  {name} failed to start (attempt {attempt}): {failed.Message}");
                        Console.WriteLine("  " + failed.Output.Replace("\n", "\n  ", StringComparison.Ordinal));
                    }
                    catch (InvalidOperationException exception)
                    {
                        failures++;
                        Console.Write($" {name} FAILED: {exception.Message}");
                        break;
                    }
                }
            }
            Console.WriteLine();
        }

        Console.WriteLine();
        double Median(string name) => pps.TryGetValue(name, out Samples? s) ? Math.Round(s.Median) : double.NaN;
        Console.WriteLine($"{"variant",-18} {"Mpps median",12} {"min–max",16}");
        foreach ((string name, Samples s) in pps)
        {
            Console.WriteLine($"{name,-18} {s.Median / 1e6,12:F3} {$"{s.Min / 1e6:F3}–{s.Max / 1e6:F3}",16}");
        }
        Console.WriteLine($"flow/testpmd, busy polling on both: rx {Median("flow_busy_rx") / Median("testpmd_rx"):F2}, tx {Median("flow_busy_tx") / Median("testpmd_tx"):F2}; " +
            $"off on both: rx {Median("flow_rx") / Median("testpmd_nobusy_rx"):F2}, tx {Median("flow_tx") / Median("testpmd_nobusy_tx"):F2}; " +
            $"flow (off) vs testpmd default (on): rx {Median("flow_rx") / Median("testpmd_rx"):F2}, tx {Median("flow_tx") / Median("testpmd_tx"):F2} (target ≥ 1.00)");
        Console.WriteLine($"cross-core latency: median {latency.Median:F0} ns (min {latency.Min:F0}, max {latency.Max:F0})");
        Console.WriteLine($"content: {content.Checked} frames compared, {content.Corrupt} corrupt, {content.Missing} missing " +
            $"(Flow rx: every frame against testpmd's first; Flow tx: an echo of {EchoFrames} sequenced frames through testpmd macswap per run)");
        foreach ((string name, DeliveryTally d) in delivery.Where(d => pps.ContainsKey(d.Key)))
        {
            Console.WriteLine($"{name}: sent {d.Sent:N0}, the peer received {d.Received:N0}, lost {d.Lost:N0} ({(d.Sent > 0 ? 100.0 * d.Lost / d.Sent : 0):F2} %)");
        }
        Console.WriteLine($"testpmd failed starts: {failedStarts}");
        object? Figure(double value) => double.IsNaN(value) ? null : value;
        var json = new Dictionary<string, object?> { ["scenario"] = "afxdp" };
        foreach ((string name, _) in variants)
        {
            json[name + "_pps"] = Figure(Median(name));
        }
        foreach ((string name, DeliveryTally d) in delivery.Where(d => pps.ContainsKey(d.Key)))
        {
            json[name + "_sent"] = d.Sent;
            json[name + "_received"] = d.Received;
            json[name + "_lost"] = d.Lost;
        }
        json["testpmd_failed_starts"] = failedStarts;
        json["failures"] = failures;
        json["checked"] = content.Checked;
        json["corrupt"] = content.Corrupt;
        json["missing"] = content.Missing;
        json["cross_core_latency_ns"] = Figure(Math.Round(latency.Median, 1));
        Console.WriteLine(JsonSerializer.Serialize(json));
        return failures == 0 && content.Corrupt == 0 && content.Missing == 0 ? 0 : 1;
    }

    private static string PeerTxonly(BenchVeth veth) => $"--forward-mode=txonly --eth-peer=0,{veth.LocalMac} --txpkts=64";

    private static async Task<double> TestpmdRx(BenchVeth veth, TimeSpan window, int? busyBudget)
    {
        using var peer = new BenchTestpmd(veth.Namespace, veth.Peer, PeerCpu, PeerTxonly(veth));
        using var measured = new BenchTestpmd(null, veth.Local, MeasuredCpu, "--forward-mode=rxonly", busyBudget);
        return Started(await CountedRate(measured, window, rx: true), measured, peer);
    }

    private static async Task<double> TestpmdTx(BenchVeth veth, TimeSpan window, int? busyBudget, DeliveryTally delivery)
    {
        using var peer = new BenchTestpmd(veth.Namespace, veth.Peer, PeerCpu, "--forward-mode=rxonly");
        using var measured = new BenchTestpmd(null, veth.Local, MeasuredCpu, $"--forward-mode=txonly --eth-peer=0,{veth.PeerMac} --txpkts=64", busyBudget);
        double rate = Started(await CountedRate(peer, window, rx: true), measured, peer);
        measured.Stop();
        delivery.Add(measured.SettledCounters().Tx, peer.SettledCounters().Rx);
        return rate;
    }

    /// <summary>
    /// Warms up one second, then the rate of <paramref name="counted"/>'s rx (or tx) counter over
    /// the window, read at its two ends through testpmd's prompt.
    /// </summary>
    private static async Task<double> CountedRate(BenchTestpmd counted, TimeSpan window, bool rx)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        (long t0, long rx0, long tx0) = counted.Counters();
        await Task.Delay(window);
        (long t1, long rx1, long tx1) = counted.Counters();
        double seconds = (double)(t1 - t0) / Stopwatch.Frequency;
        return (rx ? rx1 - rx0 : tx1 - tx0) / seconds;
    }

    /// <summary>
    /// A rate of zero is a failed start, reported with its kind and both testpmds' output: one
    /// exited, or both run and the counted side counted nothing in the window.
    /// </summary>
    private static double Started(double rate, BenchTestpmd measured, BenchTestpmd peer)
    {
        if (rate > 0)
        {
            return rate;
        }
        string kind = measured.HasExited || peer.HasExited
            ? $"a testpmd exited (measured {measured.HasExited}, peer {peer.HasExited})"
            : "both forwarding, and the counted port's counter did not move in the window";
        string Describe(string who, BenchTestpmd testpmd) =>
            $"--- {who} testpmd ({(testpmd.HasExited ? "exited" : "still running")}):\n" + string.Join("\n", testpmd.Output.Split('\n').TakeLast(25));
        throw new FailedStartException("testpmd counted no packets in the window: " + kind, Describe("measured", measured) + "\n" + Describe("peer", peer));
    }

    private static AfXdpOptions Options(BenchVeth veth, int busyBudget) =>
        new() { Interface = veth.Local, AttachMode = s_attach, BindMode = AfXdpBindMode.Auto, BusyPollBudget = busyBudget };

    private static async Task<double> FlowRx(BenchVeth veth, TimeSpan window, int busyBudget, ContentTally content)
    {
        using var peer = new BenchTestpmd(veth.Namespace, veth.Peer, PeerCpu, PeerTxonly(veth));
        var rx = new AfXdpRx(Options(veth, busyBudget));
        FrameChecker check = FrameChecker.Template();
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, MeasuredCpu, IdlePolicy.BusyPoll)
            .Add("rx", rx)
            .Add("sink", new FrameCheckSink(check))
            .Connect("rx", "sink")
            .Build();
        graph.Start();
        await Task.Delay(TimeSpan.FromSeconds(1));
        long start = rx.GetStatistics().RxPackets;
        long t0 = Stopwatch.GetTimestamp();
        await Task.Delay(window);
        long received = rx.GetStatistics().RxPackets - start;
        double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        await graph.StopAsync(drain: true);
        GraphStats stats = graph.GetStats();
        content.Add(check, missing: 0);
        Verify(stats.IsBalanced, "flow_rx: conservation does not hold: " + string.Join("; ", stats.Stages));
        Verify(received > 0, "flow_rx: nothing received");
        Verify(stats.Stage("rx").OutOn("out") == stats.Stage("sink").Consumed, "flow_rx: sink did not take every received frame");
        Verify(check.Corrupt == 0 && check.Checked == stats.Stage("sink").Consumed, $"flow_rx: {check.Corrupt} of {check.Checked} frames differ from testpmd's first");
        return received / elapsed;
    }

    private static async Task<double> FlowTx(BenchVeth veth, TimeSpan window, int busyBudget, ContentTally content, DeliveryTally delivery)
    {
        double rate;
        using (var peer = new BenchTestpmd(veth.Namespace, veth.Peer, PeerCpu, "--forward-mode=rxonly"))
        {
            var tx = new AfXdpTx(Options(veth, busyBudget));
            string template = Convert.ToHexString(Frame(veth.PeerMac, veth.LocalMac));
            await using FlowGraph graph = new GraphBuilder()
                .Worker(0, MeasuredCpu, IdlePolicy.BusyPoll)
                // Frames are generated straight into the UMEM, as testpmd's txonly writes into the
                // mempool behind its port's UMEM: neither side copies on transmit.
                .Add("gen", new Generator(new GeneratorOptions { Template = template }, tx.Pool))
                .Add("tx", tx)
                .Connect("gen", "tx")
                .Build();
            graph.Start();
            rate = await CountedRate(peer, window, rx: true);
            await graph.StopAsync(drain: true);
            long sent = tx.GetStatistics().TxPackets;
            GraphStats stats = graph.GetStats();
            Verify(stats.IsBalanced, "flow_tx: conservation does not hold: " + string.Join("; ", stats.Stages));
            Verify(sent > 0 && rate > 0, $"flow_tx: sent {sent}, peer counted {rate} pps");
            delivery.Add(sent, peer.SettledCounters().Rx);
        }
        await EchoCheck(veth, busyBudget, content);
        return rate;
    }

    /// <summary>
    /// The content check of Flow's transmit path: the same options send <see cref="EchoFrames"/>
    /// sequenced frames to a testpmd in macswap mode on the peer end, which returns each with its
    /// MACs swapped; Flow's rx on the same queue verifies every byte after the MACs and ticks off
    /// every sequence. Frames the veth or a full ring dropped on the way count as missing.
    /// </summary>
    private static async Task EchoCheck(BenchVeth veth, int busyBudget, ContentTally content)
    {
        using var peer = new BenchTestpmd(veth.Namespace, veth.Peer, PeerCpu, "--forward-mode=macswap");
        AfXdpOptions options = Options(veth, busyBudget);
        var tx = new AfXdpTx(options);
        var rx = new AfXdpRx(options);
        FrameChecker check = FrameChecker.Sequenced(EchoFrames);
        var source = new SequenceSource(tx.Pool, TestFrames.Mac(veth.PeerMac), TestFrames.Mac(veth.LocalMac), EchoFrames, [64], echo: check);
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, MeasuredCpu, IdlePolicy.BusyPoll)
            .Add("source", source).Add("tx", tx).Connect("source", "tx")
            .Add("rx", rx).Add("check", new FrameCheckSink(check)).Connect("rx", "check")
            .Build();
        graph.Start();
        await Task.Delay(200); // Flow's rx fills its ring before the first frame goes out
        source.Arm();
        long deadline = Environment.TickCount64 + 10_000;
        while (check.Checked < EchoFrames && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20);
        }
        await graph.StopAsync(drain: true);
        content.Add(check, check.Missing);
        Verify(check.Corrupt == 0 && check.Missing == 0,
            $"echo of Flow's frames: {source.Sent} sent, {check.Checked} came back, {check.Corrupt} corrupt, {check.Missing} missing");
    }

    /// <summary>A 64-byte IPv4/UDP frame like testpmd's txonly one (addresses inside the benchmark's own veth pair).</summary>
    private static byte[] Frame(string destination, string source)
    {
        var frame = new byte[64];
        Convert.FromHexString(destination.Replace(":", "")).CopyTo(frame, 0);
        Convert.FromHexString(source.Replace(":", "")).CopyTo(frame, 6);
        frame[12] = 0x08;
        frame[14] = 0x45;
        frame[17] = 50; // total length 50 = 64 - 14
        frame[22] = 64; // TTL
        frame[23] = 17; // UDP
        byte[] src = [198, 18, 0, 1];
        byte[] dst = [198, 18, 0, 2];
        src.CopyTo(frame, 26);
        dst.CopyTo(frame, 30);
        uint sum = 0;
        for (int i = 14; i < 34; i += 2)
        {
            sum += (uint)(frame[i] << 8 | frame[i + 1]);
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        ushort checksum = (ushort)~sum;
        frame[24] = (byte)(checksum >> 8);
        frame[25] = (byte)checksum;
        frame[35] = 9; // UDP ports 9 → 9, length 30
        frame[37] = 9;
        frame[39] = 30;
        return frame;
    }

    private static void Verify(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
