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
        var variants = new (string Name, Func<BenchVeth, TimeSpan, Task<double>> Run)[]
        {
            ("testpmd_rx", TestpmdRx),
            ("flow_rx", FlowRx),
            ("testpmd_tx", TestpmdTx),
            ("flow_tx", FlowTx),
        };
        string? only = ScenarioArgs.String(args, "--only");
        if (only is not null)
        {
            string[] chosen = only.Split(',');
            variants = variants.Where(v => chosen.Contains(v.Name)).ToArray();
        }
        var pps = variants.ToDictionary(v => v.Name, _ => new Samples());
        var window = TimeSpan.FromSeconds(seconds);
        for (int round = 1; round <= rounds; round++)
        {
            Console.Write($"round {round}:");
            foreach ((string name, var run) in variants)
            {
                double rate = await run(veth, window);
                if (rate == 0 && name.StartsWith("testpmd", StringComparison.Ordinal))
                {
                    // A testpmd that counted nothing did not start its queue (about one run in four
                    // on a veth just released by the previous run): a failed start, left out of the
                    // median rather than lowering the reference.
                    Console.Write($" {name} failed-to-start");
                    continue;
                }
                pps[name].Add(rate);
                Console.Write($" {name} {rate / 1e6:F3}");
            }
            Console.WriteLine();
        }

        Console.WriteLine();
        Console.WriteLine($"{"variant",-12} {"Mpps median",12} {"min–max",16}");
        foreach ((string name, Samples s) in pps)
        {
            Console.WriteLine($"{name,-12} {s.Median / 1e6,12:F3} {$"{s.Min / 1e6:F3}–{s.Max / 1e6:F3}",16}");
        }
        double Median(string name) => pps.TryGetValue(name, out Samples? s) ? Math.Round(s.Median) : double.NaN;
        Console.WriteLine($"flow/testpmd: rx {Median("flow_rx") / Median("testpmd_rx"):F2}, tx {Median("flow_tx") / Median("testpmd_tx"):F2} (target ≥ 1.00)");
        object? Figure(string name) => double.IsNaN(Median(name)) ? null : Median(name);
        var json = new Dictionary<string, object?>
        {
            ["scenario"] = "afxdp",
            ["testpmd_rx_pps"] = Figure("testpmd_rx"),
            ["flow_rx_pps"] = Figure("flow_rx"),
            ["testpmd_tx_pps"] = Figure("testpmd_tx"),
            ["flow_tx_pps"] = Figure("flow_tx"),
        };
        Console.WriteLine(JsonSerializer.Serialize(json));
        return 0;
    }

    private static string Prefix(string role) => $"flowbench{Environment.ProcessId}{role}";

    private static string PeerTxonly(BenchVeth veth) => $"--forward-mode=txonly --eth-peer=0,{veth.LocalMac} --txpkts=64";

    private static async Task<double> TestpmdRx(BenchVeth veth, TimeSpan window)
    {
        using var peer = new BenchTestpmd(veth.Namespace, veth.Peer, PeerCpu, PeerTxonly(veth), Prefix("peer"));
        using var measured = new BenchTestpmd(null, veth.Local, MeasuredCpu, "--forward-mode=rxonly", Prefix("local"));
        (long from, long to) = await Window(window);
        return measured.MeanPps(from, to).Rx;
    }

    private static async Task<double> TestpmdTx(BenchVeth veth, TimeSpan window)
    {
        using var peer = new BenchTestpmd(veth.Namespace, veth.Peer, PeerCpu, "--forward-mode=rxonly", Prefix("peer"));
        using var measured = new BenchTestpmd(null, veth.Local, MeasuredCpu, $"--forward-mode=txonly --eth-peer=0,{veth.PeerMac} --txpkts=64", Prefix("local"));
        (long from, long to) = await Window(window);
        return peer.MeanPps(from, to).Rx;
    }

    private static async Task<double> FlowRx(BenchVeth veth, TimeSpan window)
    {
        using var peer = new BenchTestpmd(veth.Namespace, veth.Peer, PeerCpu, PeerTxonly(veth), Prefix("peer"));
        var rx = new AfXdpRx(new AfXdpOptions { Interface = veth.Local, AttachMode = s_attach, BindMode = AfXdpBindMode.Auto });
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, MeasuredCpu, IdlePolicy.BusyPoll)
            .Add("rx", rx)
            .Add("sink", new NullSink())
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
        Verify(stats.IsBalanced, "flow_rx: conservation does not hold: " + string.Join("; ", stats.Stages));
        Verify(received > 0, "flow_rx: nothing received");
        Verify(stats.Stage("rx").OutOn("out") == stats.Stage("sink").Consumed, "flow_rx: sink did not take every received frame");
        return received / elapsed;
    }

    private static async Task<double> FlowTx(BenchVeth veth, TimeSpan window)
    {
        using var peer = new BenchTestpmd(veth.Namespace, veth.Peer, PeerCpu, "--forward-mode=rxonly", Prefix("peer"));
        var tx = new AfXdpTx(new AfXdpOptions { Interface = veth.Local, AttachMode = s_attach, BindMode = AfXdpBindMode.Auto });
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
        (long from, long to) = await Window(window);
        long sent = tx.GetStatistics().TxPackets;
        await graph.StopAsync(drain: true);
        GraphStats stats = graph.GetStats();
        Verify(stats.IsBalanced, "flow_tx: conservation does not hold: " + string.Join("; ", stats.Stages));
        double rate = peer.MeanPps(from, to).Rx;
        Verify(sent > 0 && rate > 0, $"flow_tx: sent {sent}, peer counted {rate} pps");
        return rate;
    }

    /// <summary>Warms up one second, then returns the measurement window's start and end timestamps.</summary>
    private static async Task<(long From, long To)> Window(TimeSpan window)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        long from = Stopwatch.GetTimestamp();
        await Task.Delay(window);
        return (from, Stopwatch.GetTimestamp());
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
