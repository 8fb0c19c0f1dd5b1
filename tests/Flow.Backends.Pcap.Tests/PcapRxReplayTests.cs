using System.Diagnostics;
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
    public async Task RatePaceTakesAtLeastTheTimeTheRateImplies()
    {
        using var dir = new TempDirectory();
        string path = dir.File("rate.pcap");
        WriteWithScapy(path, $"wrpcap('{path}', pkts)");

        var clock = Stopwatch.StartNew();
        (CaptureSink capture, _, _) = await ReplayAsync(new PcapOptions { Path = path, Pace = PcapPace.Rate, RatePps = 1000 });

        Assert.Equal(301, capture.Count);
        // 301 packets at 1000 pps: the last one is due 300 ms after the first (a lower bound only).
        Assert.True(clock.ElapsedMilliseconds >= 290, $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task RecordedPaceKeepsTheRecordedGapsScaledBySpeed()
    {
        using var dir = new TempDirectory();
        string path = dir.File("paced.pcap");
        WriteWithScapy(path, $"wrpcap('{path}', pkts)");

        // Recorded span: 300 ms (1 ms apart); at speed 0.5 that is 600 ms.
        var clock = Stopwatch.StartNew();
        (CaptureSink capture, _, _) = await ReplayAsync(new PcapOptions { Path = path, Pace = PcapPace.Recorded, Speed = 0.5 });

        Assert.Equal(301, capture.Count);
        Assert.True(clock.ElapsedMilliseconds >= 590, $"took {clock.ElapsedMilliseconds} ms");
    }
}
