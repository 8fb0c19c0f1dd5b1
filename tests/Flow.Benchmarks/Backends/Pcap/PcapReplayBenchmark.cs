using System.Diagnostics;
using System.Globalization;
using Flow.Backends.Pcap;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Backends.Pcap;

/// <summary>
/// Scenario <c>pcap_replay</c>: how fast <c>pcap_rx</c> replays a file (as fast as possible,
/// looped) into a null sink, on one pinned worker; and how fast <c>pcap_tx</c> writes one.
/// <code>
///   [ pcap_rx (100 000 x 64 B records, looped) → null_sink ]   worker 0, cpu 1, busy poll
/// </code>
/// Reference: the same graph with the built-in generator instead of the file (the cost of the
/// graph without file parsing), interleaved, after one warm-up run of each. Verifies every record arrived and nothing leaked. Last line JSON.
/// Content: the file holds <see cref="TestFrames"/> (sequences 0..records-1, written by
/// <c>pcap_tx</c> from a <see cref="SequenceSource"/>, untimed). The warm-up replay (20 loops)
/// verifies every frame byte for byte and ticks off every sequence: none missing, each seen once
/// per loop. The timed replays verify the first frame of every 16th burst (the sink the figure
/// pays for is <see cref="FrameCheckSink"/>, not <c>null_sink</c>). The timed writes check the
/// file's length; their bytes are those of the generator, covered by the content run of pcap_tx above.
/// Cross-core latency (<see cref="CrossCoreLatency"/>) is measured at the start of every round, as
/// in every scenario: the graph runs on one core, but the figure tells a quiet round from a noisy one.
/// </summary>
public static class PcapReplayBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        const int Records = 100_000;
        const int WarmUpLoops = 20;
        int loops = 300;
        int rounds = 5;
        string path = Path.Combine(Path.GetTempPath(), $"flow-pcap-bench-{Environment.ProcessId}.pcap");
        try
        {
            await WriteFileAsync(path, Records);
            // Warm-up: let tiered compilation reach the optimized code of both graphs before timing;
            // the replay's warm-up is also the content run (every frame).
            FrameChecker everyFrame = FrameChecker.Sequenced(Records);
            await ReplayAsync(path, Records, WarmUpLoops, everyFrame);
            await GenerateAsync(Records * WarmUpLoops);
            var content = new ContentTally();
            content.Add(everyFrame, everyFrame.Missing);
            long expectedDuplicates = (long)Records * (WarmUpLoops - 1);
            var replay = new List<double>();
            var generator = new List<double>();
            var write = new List<double>();
            var latency = new Samples();
            for (int round = 0; round < rounds; round++)
            {
                double ns = CrossCoreLatency.MeasureNanoseconds();
                latency.Add(ns);
                FrameChecker sampled = FrameChecker.Sequenced(0, sampleEvery: 16);
                replay.Add(await ReplayAsync(path, Records, loops, sampled));
                content.Add(sampled.Checked, sampled.Corrupt, missing: 0);
                generator.Add(await GenerateAsync((long)Records * loops));
                write.Add(await WriteRateAsync(path + ".w", 5_000_000));
                Console.WriteLine($"  round {round}: cross-core latency {ns:F0} ns, pcap_rx {replay[^1]:N0} pps, generator {generator[^1]:N0} pps, pcap_tx {write[^1]:N0} pps");
            }
            double r = Median(replay), g = Median(generator), w = Median(write);
            Console.WriteLine($"pcap replay median {r:N0} pps ({r / g:F2} x generator {g:N0} pps), {Records:N0} records x {loops} loops, 64 B");
            Console.WriteLine($"cross-core latency: median {latency.Median:F0} ns (min {latency.Min:F0}, max {latency.Max:F0})");
            Console.WriteLine($"pcap write median {w:N0} pps (generator → pcap_tx, 64 B, to {Path.GetTempPath()})");
            Console.WriteLine($"content: {content.Checked:N0} frames compared, {content.Corrupt} corrupt, {content.Missing} missing, " +
                $"{everyFrame.Duplicates:N0} repeats in the {WarmUpLoops}-loop content run (expected {expectedDuplicates:N0})");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"scenario\":\"pcap_replay\",\"flow_replay_pps\":{r:F0},\"generator_pps\":{g:F0},\"flow_write_pps\":{w:F0}," +
                $"\"checked\":{content.Checked},\"corrupt\":{content.Corrupt},\"missing\":{content.Missing},\"duplicates\":{everyFrame.Duplicates - expectedDuplicates},\"cross_core_latency_ns\":{latency.Median:F1}}}"));
            return content.Corrupt == 0 && content.Missing == 0 && everyFrame.Duplicates == expectedDuplicates ? 0 : 1;
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".w");
        }
    }

    private static async Task<double> WriteRateAsync(string path, long count)
    {
        var tx = new PcapTx(new PcapOptions { Path = path });
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 1, idle: IdlePolicy.BusyPoll)
            .Add("gen", new Generator(new GeneratorOptions { FrameSize = 64, Count = count }))
            .Add("pcap", tx).Connect("gen", "pcap").Build();
        var clock = Stopwatch.StartNew();
        await graph.RunAsync();
        double elapsed = clock.Elapsed.TotalSeconds;
        long expectedBytes = PcapFileHeader.Size + count * (PcapRecordHeader.Size + 64);
        if (tx.Records != count || tx.LostRecords != 0 || new FileInfo(path).Length != expectedBytes)
        {
            throw new InvalidOperationException($"pcap write kept {tx.Records} of {count} records ({tx.LastError})");
        }
        return count / elapsed;
    }

    /// <summary>The replayed file: <paramref name="records"/> 64-byte <see cref="TestFrames"/>, sequences 0..records-1.</summary>
    private static async Task WriteFileAsync(string path, int records)
    {
        using PacketPool pool = PacketPool.Create(4096);
        var source = new SequenceSource(pool, TestFrames.Mac("02:00:00:00:00:02"), TestFrames.Mac("02:00:00:00:00:01"), records, [64]);
        var tx = new PcapTx(new PcapOptions { Path = path });
        using (FlowGraph graph = new GraphBuilder().Add("source", source).Add("pcap", tx).Connect("source", "pcap").Build())
        {
            await graph.RunAsync();
        }
        if (tx.Records != records || tx.LostRecords != 0)
        {
            throw new InvalidOperationException($"pcap write of the replay file kept {tx.Records} of {records} records ({tx.LastError})");
        }
    }

    private static async Task<double> ReplayAsync(string path, int records, int loops, FrameChecker check)
    {
        var rx = new PcapRx(new PcapOptions { Path = path, Loops = loops });
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 1, idle: IdlePolicy.BusyPoll)
            .Add("rx", rx).Add("sink", new FrameCheckSink(check)).Connect("rx", "sink").Build();
        var clock = Stopwatch.StartNew();
        await graph.RunAsync();
        double elapsed = clock.Elapsed.TotalSeconds;
        GraphStats stats = graph.GetStats();
        long expected = (long)records * loops;
        if (!stats.IsBalanced || stats.Stage("sink").Consumed != expected || rx.Pool.Outstanding != 0 || rx.Problem is not null)
        {
            throw new InvalidOperationException($"pcap replay delivered {stats.Stage("sink").Consumed} of {expected} ({rx.Problem})");
        }
        return expected / elapsed;
    }

    private static async Task<double> GenerateAsync(long count)
    {
        var generator = new Generator(new GeneratorOptions { FrameSize = 64, Count = count });
        using FlowGraph graph = new GraphBuilder().Worker(0, cpu: 1, idle: IdlePolicy.BusyPoll)
            .Add("gen", generator).Add("sink", new NullSink()).Connect("gen", "sink").Build();
        var clock = Stopwatch.StartNew();
        await graph.RunAsync();
        double elapsed = clock.Elapsed.TotalSeconds;
        if (graph.GetStats().Stage("sink").Consumed != count)
        {
            throw new InvalidOperationException("generator reference lost packets");
        }
        return count / elapsed;
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = [.. values.Order()];
        return sorted[sorted.Count / 2];
    }
}
