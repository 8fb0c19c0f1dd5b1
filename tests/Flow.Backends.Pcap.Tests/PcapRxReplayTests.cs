using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Pcap.Tests;

[Collection(nameof(PcapCollection))]
public class PcapRxReplayTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    internal static async Task<(CaptureSink Capture, GraphStats Stats, PcapRx Rx)> ReplayAsync(PcapOptions options)
    {
        var capture = new CaptureSink();
        var rx = new PcapRx(options);
        using FlowGraph graph = new GraphBuilder()
            .Add("rx", rx)
            .Add("sink", capture)
            .Connect("rx", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(0, rx.Pool.Outstanding);
        return (capture, stats, rx);
    }

    /// <summary>Writes a file with scapy and returns the hex of each packet scapy wrote.</summary>
    private static string[] WriteWithScapy(string path, string writer)
    {
        Shell.RequireRootAnd(Shell.Python);
        string script = $$"""
            from scapy.all import *
            pkts = [Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/IP(src='10.1.0.1', dst='10.1.0.2', id=i)/UDP(sport=1000+i, dport=53)/Raw(bytes([i % 256]) * (i * 37 % 1400)) for i in range(300)]
            pkts.append(Ether()/Dot1Q(vlan=42)/IP()/ICMP())
            for i, p in enumerate(pkts):
                p.time = 1700000000 + i / 1000
            {{writer}}
            for p in pkts:
                print(bytes(p).hex())
            """;
        return Shell.Run(Shell.Python, "-c", script.Replace("\r", "")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Theory]
    [InlineData("wrpcap(path, pkts)")]
    [InlineData("w = PcapWriter(path, nano=True)\nfor p in pkts: w.write(p)\nw.close()")]
    [InlineData("w = PcapWriter(path, endianness='>')\nfor p in pkts: w.write(p)\nw.close()")]
    public async Task FilesWrittenByScapyReplayThroughFlowUnchanged(string writer)
    {
        using var dir = new TempDirectory();
        string path = dir.File("scapy.pcap");
        string[] expected = WriteWithScapy(path, $"path = '{path}'\n" + writer);

        (CaptureSink capture, GraphStats stats, PcapRx rx) = await ReplayAsync(new PcapOptions { Path = path });

        Assert.Equal(301, expected.Length);
        Assert.Equal(expected.Length, capture.Count);
        IReadOnlyList<byte[]> frames = capture.Frames;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], Convert.ToHexStringLower(frames[i]));
        }
        Assert.Equal(301, stats.Stage("rx").OutOn("out"));
        Assert.Null(rx.Problem);
    }

    [Theory]
    [InlineData("pcap")]
    [InlineData("nsecpcap")]
    public async Task FilesWiresharkToolsWroteReplayThroughFlowUnchanged(string format)
    {
        Shell.RequireRootAnd("editcap");
        using var dir = new TempDirectory();
        string original = dir.File("scapy.pcap");
        string[] expected = WriteWithScapy(original, $"wrpcap('{original}', pkts)");
        string converted = dir.File($"editcap.{format}");
        Shell.Run("editcap", "-F", format, original, converted);

        (CaptureSink capture, _, PcapRx rx) = await ReplayAsync(new PcapOptions { Path = converted });

        Assert.Equal(expected, capture.Frames.Select(Convert.ToHexStringLower));
        Assert.Null(rx.Problem);
    }

    [Fact]
    public void ARealPcapngFileIsRefusedWithAHint()
    {
        Shell.RequireRootAnd("editcap");
        using var dir = new TempDirectory();
        string original = dir.File("scapy.pcap");
        WriteWithScapy(original, $"wrpcap('{original}', pkts)");
        string pcapng = dir.File("x.pcapng");
        Shell.Run("editcap", "-F", "pcapng", original, pcapng);

        PcapFormatException e = Assert.Throws<PcapFormatException>(() => new PcapRx(new PcapOptions { Path = pcapng }));
        Assert.Contains("editcap -F pcap", e.Message);
    }

    [Fact]
    public async Task AFileFlowWroteReplaysWithTheSameBytesAndTimestamps()
    {
        using var dir = new TempDirectory();
        var tx = new PcapTx(new PcapOptions { Path = dir.File("rt.pcap") });
        using (FlowGraph write = new GraphBuilder().Add("s", new PatternSource(500)).Add("w", tx).Connect("s", "w").Build())
        {
            await write.RunAsync().WaitAsync(Limit);
        }
        var timestamps = new List<long>();
        var stamp = new TimestampRecorder(timestamps);
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Add("rx", new PcapRx(new PcapOptions { Path = dir.File("rt.pcap") }))
            .Add("stamp", stamp)
            .Add("sink", capture)
            .Connect("rx", "stamp").Connect("stamp", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);

        Assert.True(graph.GetStats().IsBalanced);
        Assert.Equal(500, capture.Count);
        for (int i = 0; i < 500; i++)
        {
            Assert.Equal(PatternSource.Expected(i), capture.Frames[i]);
            Assert.Equal(PatternSource.TimestampOf(i), timestamps[i]);
        }
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData((ushort)7, 7)]
    public async Task ReplayedFramesCarryTheInputPortOrZeroWhenUnset(ushort? inputPort, int expected)
    {
        using var dir = new TempDirectory();
        using (FlowGraph write = new GraphBuilder().Add("s", new PatternSource(20)).Add("w", new PcapTx(new PcapOptions { Path = dir.File("ports.pcap") })).Connect("s", "w").Build())
        {
            await write.RunAsync().WaitAsync(Limit);
        }
        var ports = new List<ushort>();
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Add("rx", new PcapRx(new PcapOptions { Path = dir.File("ports.pcap"), InputPort = inputPort }))
            .Add("ports", new InputPortRecorder(ports))
            .Add("sink", capture)
            .Connect("rx", "ports").Connect("ports", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);

        Assert.True(graph.GetStats().IsBalanced);
        Assert.Equal(20, ports.Count);
        Assert.All(ports, port => Assert.Equal(expected, port));
    }

    [Fact]
    public async Task LoopedReplayRepeatsTheFileWithRisingTimestamps()
    {
        using var dir = new TempDirectory();
        string path = dir.File("loop.pcap");
        string[] expected = WriteWithScapy(path, $"wrpcap('{path}', pkts)");

        var timestamps = new List<long>();
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Add("rx", new PcapRx(new PcapOptions { Path = path, Loops = 3 }))
            .Add("stamp", new TimestampRecorder(timestamps))
            .Add("sink", capture)
            .Connect("rx", "stamp").Connect("stamp", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);

        Assert.True(graph.GetStats().IsBalanced);
        Assert.Equal(3 * expected.Length, capture.Count);
        for (int i = 0; i < capture.Count; i++)
        {
            Assert.Equal(expected[i % expected.Length], Convert.ToHexStringLower(capture.Frames[i]));
        }
        for (int i = 1; i < timestamps.Count; i++)
        {
            Assert.True(timestamps[i] > timestamps[i - 1], $"timestamp {i} ({timestamps[i]}) is not after {timestamps[i - 1]}");
        }
    }

    [Fact]
    public async Task RatePaceSendsEveryPacketAtItsSlotNeitherEarlyNorInOneBurst()
    {
        using var dir = new TempDirectory();
        string path = dir.File("rate.pcap");
        WriteWithScapy(path, $"wrpcap('{path}', pkts)");

        // 301 packets at 1000 pps: packet i is due i ms after the first.
        double[] offsets = await ReplayPacedAsync(new PcapOptions { Path = path, Pace = PcapPace.Rate, RatePps = 1000 });

        AssertPacedAt(offsets, gapMs: 1.0);
    }

    [Fact]
    public async Task RecordedPaceKeepsTheRecordedGapsScaledBySpeed()
    {
        using var dir = new TempDirectory();
        string path = dir.File("paced.pcap");
        WriteWithScapy(path, $"wrpcap('{path}', pkts)");

        // Recorded 1 ms apart; at speed 0.5 every gap becomes 2 ms.
        double[] offsets = await ReplayPacedAsync(new PcapOptions { Path = path, Pace = PcapPace.Recorded, Speed = 0.5 });

        AssertPacedAt(offsets, gapMs: 2.0);
    }

    private static async Task<double[]> ReplayPacedAsync(PcapOptions options)
    {
        var arrivals = new ArrivalRecorder();
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Add("rx", new PcapRx(options))
            .Add("arrivals", arrivals)
            .Add("sink", capture)
            .Connect("rx", "arrivals").Connect("arrivals", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);
        Assert.Equal(301, capture.Count);
        return arrivals.OffsetsMs();
    }

    /// <summary>
    /// Packets follow the schedule "i × gap after the start": the lateness of each packet against
    /// its slot, measured from the best origin (the one no packet is early for), has a median under
    /// 20 ms, and at least 90 % of the packets are within 50 ms of their slot. A loaded machine may
    /// stall a few packets; a replay that waits and then bursts, or runs at the wrong rate, has a
    /// lateness growing with i and fails; so does one at the wrong rate (the fitted slope).
    /// </summary>
    private static void AssertPacedAt(double[] offsets, double gapMs)
    {
        double[] raw = offsets.Select((offset, i) => offset - i * gapMs).ToArray();
        double origin = raw.Min();
        double[] lateness = raw.Select(l => l - origin).ToArray();
        double median = lateness.Order().ElementAt(lateness.Length / 2);
        Assert.True(median < 20, $"median lateness {median:F1} ms: packets do not follow a {gapMs} ms schedule");
        int onTime = lateness.Count(l => l < 50);
        Assert.True(onTime >= lateness.Length * 9 / 10, $"only {onTime} of {lateness.Length} packets within 50 ms of their slot");
        // The rate itself: the least-squares slope of arrival offset over packet index.
        double meanIndex = (offsets.Length - 1) / 2.0;
        double meanOffset = offsets.Average();
        double slope = offsets.Select((o, i) => (i - meanIndex) * (o - meanOffset)).Sum()
            / offsets.Select((_, i) => (i - meanIndex) * (i - meanIndex)).Sum();
        Assert.InRange(slope, gapMs * 0.9, gapMs * 1.1);
    }
}
