using System.Diagnostics;
using System.Globalization;
using Flow.Backends.AfPacket;
using Flow.Benchmarks.Infrastructure;
using Flow.TestKit;

namespace Flow.Benchmarks.Backends.AfPacket;

/// <summary>
/// Scenario <c>afpacket</c>: Flow's AF_PACKET rx and tx against DPDK's <c>net_af_packet</c>
/// (dpdk-testpmd) on the same veth, in the same run, rounds interleaved, medians reported.
/// <code>
///  rx:  [ns: testpmd txonly, cpu 0] peer ==veth== host [ Flow af_packet_rx → null_sink, cpu 1 ]
///                                                      [ or testpmd rxonly, cpu 1             ]
///  tx:  [ns: (kernel drops)]         peer ==veth== host [ Flow generator → af_packet_tx, cpu 1 ]
///                                                      [ or testpmd txonly, cpu 1             ]
/// </code>
/// Rx rates are what each receiver counted over the window (Flow: frames handed on; testpmd: its
/// port's RX-packets from <c>show port stats 0</c> at the window's two ends, each stamped halfway
/// between asking and the answer). Tx rates are the host end's tx_packets counter per second for
/// both (the kernel's count of frames that reached the peer). Every testpmd is driven at its
/// prompt, without <c>--stats-period</c>: the periodic printer runs on the main lcore, which
/// shares the CPU with the busy-polling forwarding lcore, so it both starves the reference and
/// samples irregularly (the AF_XDP scenario found the same). 64-byte frames; both transmitters
/// bypass the qdisc (testpmd's net_af_packet default); both rings hold 8192 x 2 KiB. Needs root,
/// dpdk-testpmd and 2 cores.
/// Cross-core latency (<see cref="CrossCoreLatency"/>) is measured before the rx phase (its
/// generator then holds cpu 0 until the phase ends) and at the start of every tx round.
/// Content: Flow's rx checks every frame against testpmd's first (<see cref="FrameChecker.Template"/>,
/// in the timed run: its cost is Flow's); after each Flow tx run, an echo sends
/// <see cref="EchoFrames"/> sequenced <see cref="TestFrames"/> through af_packet_tx to a testpmd
/// in macswap mode on the peer end and Flow's af_packet_rx verifies every byte after the MACs and
/// ticks off every sequence. The last line is one JSON object; corrupt or missing frames fail the run.
/// </summary>
public static class AfPacketBenchmark
{
    private const int EchoFrames = 512;

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = ScenarioArgs.Int(args, "--rounds", 3);
        int seconds = ScenarioArgs.Int(args, "--seconds", 3);
        if (Environment.ProcessorCount < 2)
        {
            Console.Error.WriteLine("afpacket: needs 2 CPUs (generator and receiver on separate cores)");
            return 2;
        }
        using var topology = new BenchTopology();
        Console.WriteLine($"afpacket: veth {topology.HostEnd} <-> {topology.Namespace}/{topology.PeerEnd}, {rounds} rounds of {seconds} s, 64-byte frames");

        var content = new ContentTally();
        long ringDrops = 0;
        var flowRx = new List<double>();
        var testpmdRx = new List<double>();
        var latency = new Samples();
        MeasureLatency(latency, "rx phase");
        using (Testpmd generator = topology.StartTestpmd(topology.PeerEnd, inNamespace: true, "txonly", cpu: 0))
        {
            await WaitForCounter(topology, "rx_packets");
            for (int round = 0; round < rounds; round++)
            {
                bool flowFirst = round % 2 == 0;
                for (int k = 0; k < 2; k++)
                {
                    if ((k == 0) == flowFirst)
                    {
                        (double rate, long drops) = await FlowRxAsync(topology, seconds, content);
                        flowRx.Add(rate);
                        ringDrops += drops;
                    }
                    else
                    {
                        testpmdRx.Add(await TestpmdRxAsync(topology, seconds));
                    }
                }
                Console.WriteLine($"  rx round {round}: flow {flowRx[^1]:N0} pps, testpmd {testpmdRx[^1]:N0} pps");
            }
        }

        var flowTx = new List<double>();
        var testpmdTx = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            MeasureLatency(latency, $"tx round {round}");
            bool flowFirst = round % 2 == 0;
            for (int k = 0; k < 2; k++)
            {
                if ((k == 0) == flowFirst)
                {
                    flowTx.Add(await FlowTxAsync(topology, seconds));
                    await EchoCheckAsync(topology, content);
                }
                else
                {
                    testpmdTx.Add(await TestpmdTxAsync(topology, seconds));
                }
            }
            Console.WriteLine($"  tx round {round}: flow {flowTx[^1]:N0} pps, testpmd {testpmdTx[^1]:N0} pps");
        }

        double fr = Median(flowRx), tr = Median(testpmdRx), ft = Median(flowTx), tt = Median(testpmdTx);
        Console.WriteLine($"rx median: flow {fr:N0} pps, testpmd {tr:N0} pps, ratio {fr / tr:F2}");
        Console.WriteLine($"tx median: flow {ft:N0} pps, testpmd {tt:N0} pps, ratio {ft / tt:F2}");
        Console.WriteLine($"cross-core latency: median {latency.Median:F0} ns (min {latency.Min:F0}, max {latency.Max:F0})");
        Console.WriteLine($"content: {content.Checked:N0} frames compared, {content.Corrupt} corrupt, {content.Missing} missing, {content.Duplicates} duplicates " +
            $"(Flow rx: every frame against testpmd's first; Flow tx: an echo of {EchoFrames} sequenced frames through testpmd macswap per run); " +
            $"Flow rx ring drops {ringDrops:N0}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"scenario\":\"afpacket\",\"testpmd_rx_pps\":{tr:F0},\"flow_rx_pps\":{fr:F0},\"testpmd_tx_pps\":{tt:F0},\"flow_tx_pps\":{ft:F0}," +
            $"\"checked\":{content.Checked},\"corrupt\":{content.Corrupt},\"missing\":{content.Missing},\"duplicates\":{content.Duplicates},\"flow_rx_ring_drops\":{ringDrops},\"cross_core_latency_ns\":{latency.Median:F1}}}"));
        return content.Corrupt == 0 && content.Missing == 0 && content.Duplicates == 0 ? 0 : 1;
    }

    private static async Task<(double Pps, long RingDrops)> FlowRxAsync(BenchTopology topology, int seconds, ContentTally content)
    {
        var rx = new AfPacketRx(new AfPacketOptions { Interface = topology.HostEnd, BlockSize = 1 << 18, BlockCount = BenchTopology.RingFrames * 2048 / (1 << 18) });
        FrameChecker check = FrameChecker.Template();
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 1, idle: IdlePolicy.BusyPoll)
            .Add("rx", rx).Add("sink", new FrameCheckSink(check)).Connect("rx", "sink").Build();
        graph.Start();
        await Task.Delay(1000);
        long start = rx.Received;
        var clock = Stopwatch.StartNew();
        await Task.Delay(seconds * 1000);
        long received = rx.Received - start;
        double elapsed = clock.Elapsed.TotalSeconds;
        await graph.StopAsync();
        GraphStats stats = graph.GetStats();
        Verify(stats.IsBalanced, "flow rx graph is not balanced");
        Verify(rx.Pool.Outstanding == 0, $"flow rx leaked {rx.Pool.Outstanding} frames");
        Verify(received > 0, "flow rx received nothing");
        content.Add(check, missing: 0);
        Verify(check.Checked == stats.Stage("sink").Consumed, $"flow rx checked {check.Checked} of {stats.Stage("sink").Consumed} frames");
        Console.WriteLine($"    flow rx: kernel saw {rx.Statistics.Packets:N0}, ring drops {rx.Statistics.Drops:N0}, {check.Corrupt} of {check.Checked:N0} differ from testpmd's first");
        return (received / elapsed, rx.Statistics.Drops);
    }

    /// <summary>
    /// testpmd rxonly on the host end: forwarding starts, a second of warm-up (as Flow gets), then
    /// its port counter over the window, read at the prompt at both ends.
    /// </summary>
    private static async Task<double> TestpmdRxAsync(BenchTopology topology, int seconds)
    {
        using Testpmd testpmd = topology.StartTestpmd(topology.HostEnd, inNamespace: false, "rxonly", cpu: 1);
        await Task.Delay(1000);
        (long startTicks, long startRx) = StampedRx(testpmd);
        await Task.Delay(seconds * 1000);
        (long endTicks, long endRx) = StampedRx(testpmd);
        Verify(endRx > startRx, "testpmd rx received nothing");
        double elapsed = Stopwatch.GetElapsedTime(startTicks, endTicks).TotalSeconds;
        Console.WriteLine($"    testpmd rx: {endRx - startRx:N0} frames in {elapsed:F3} s");
        return (endRx - startRx) / elapsed;
    }

    /// <summary>Port 0's RX-packets, stamped halfway between asking and the answer (the round trip is a few milliseconds).</summary>
    private static (long Ticks, long Rx) StampedRx(Testpmd testpmd)
    {
        long asked = Stopwatch.GetTimestamp();
        (long rx, _) = testpmd.PortStats(0);
        long answered = Stopwatch.GetTimestamp();
        return (asked + (answered - asked) / 2, rx);
    }

    private static void MeasureLatency(Samples latency, string when)
    {
        double ns = CrossCoreLatency.MeasureNanoseconds();
        latency.Add(ns);
        Console.WriteLine($"  {when}: cross-core latency {ns:F0} ns");
    }

    private static async Task<double> FlowTxAsync(BenchTopology topology, int seconds)
    {
        var generator = new Generator(new GeneratorOptions { FrameSize = 64 });
        var tx = new AfPacketTx(new AfPacketOptions { Interface = topology.HostEnd, QdiscBypass = true, TxFrames = BenchTopology.RingFrames });
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 1, idle: IdlePolicy.BusyPoll)
            .Add("gen", generator).Add("tx", tx).Connect("gen", "tx").Build();
        graph.Start();
        await Task.Delay(1000);
        double pps = await CounterRate(topology, "tx_packets", seconds);
        await graph.StopAsync();
        GraphStats stats = graph.GetStats();
        Verify(stats.IsBalanced, "flow tx graph is not balanced");
        Verify(tx.KickErrors == 0, $"flow tx: sendto failed with errno {tx.LastKickErrno}");
        StageStats stage = stats.Stage("tx");
        Console.WriteLine($"    flow tx: sent {tx.Sent:N0}, ring_full {stage.DroppedFor("ring_full"):N0}");
        return pps;
    }

    /// <summary>
    /// The content check of Flow's AF_PACKET tx (and rx): <see cref="EchoFrames"/> sequenced
    /// frames, one burst in flight, from af_packet_tx (qdisc bypass, as timed) on the host end to
    /// a testpmd macswap on the peer end and back into af_packet_rx, which verifies every byte
    /// after the MACs and ticks off every sequence (its socket ignores outgoing frames).
    /// </summary>
    private static async Task EchoCheckAsync(BenchTopology topology, ContentTally content)
    {
        using Testpmd peer = topology.StartTestpmd(topology.PeerEnd, inNamespace: true, "macswap", cpu: 0);
        using PacketPool pool = PacketPool.Create(1024);
        var rx = new AfPacketRx(new AfPacketOptions { Interface = topology.HostEnd });
        var tx = new AfPacketTx(new AfPacketOptions { Interface = topology.HostEnd, QdiscBypass = true, TxFrames = BenchTopology.RingFrames });
        FrameChecker check = FrameChecker.Sequenced(EchoFrames);
        byte[] hostMac = TestFrames.Mac(File.ReadAllText($"/sys/class/net/{topology.HostEnd}/address").Trim());
        var source = new SequenceSource(pool, TestFrames.Mac("02:00:00:00:00:02"), hostMac, EchoFrames, [64], echo: check);
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 1, idle: IdlePolicy.BusyPoll)
            .Add("source", source).Add("tx", tx).Connect("source", "tx")
            .Add("rx", rx).Add("check", new FrameCheckSink(check)).Connect("rx", "check")
            .Build();
        graph.Start();
        await Task.Delay(200); // the rx socket is bound before the first frame goes out
        source.Arm();
        var clock = Stopwatch.StartNew();
        while (check.Checked < EchoFrames && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }
        await graph.StopAsync();
        content.Add(check, check.Missing);
        Console.WriteLine($"    echo: {source.Sent} sent, {check.Checked} came back, {check.Corrupt} corrupt, {check.Missing} missing, {check.Duplicates} duplicates");
    }

    private static async Task<double> TestpmdTxAsync(BenchTopology topology, int seconds)
    {
        using Testpmd testpmd = topology.StartTestpmd(topology.HostEnd, inNamespace: false, "txonly", cpu: 1);
        await WaitForCounter(topology, "tx_packets");
        await Task.Delay(1000);
        return await CounterRate(topology, "tx_packets", seconds);
    }

    private static async Task<double> CounterRate(BenchTopology topology, string counter, int seconds)
    {
        long start = topology.HostCounter(counter);
        var clock = Stopwatch.StartNew();
        await Task.Delay(seconds * 1000);
        long end = topology.HostCounter(counter);
        return (end - start) / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Waits (at most 20 s) until a host-end counter moves: the traffic has started.</summary>
    private static async Task WaitForCounter(BenchTopology topology, string counter)
    {
        long first = topology.HostCounter(counter);
        var clock = Stopwatch.StartNew();
        while (topology.HostCounter(counter) - first < 1000)
        {
            Verify(clock.Elapsed < TimeSpan.FromSeconds(20), $"{counter} on {topology.HostEnd} did not move in 20 s");
            await Task.Delay(50);
        }
    }

    private static void Verify(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"afpacket benchmark: {problem}");
        }
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = [.. values.Order()];
        int n = sorted.Count;
        return n == 0 ? 0 : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
