using Xunit;

namespace Flow.Backends.Pcap.Tests;

[Collection(nameof(PcapCollection))]
public class PcapTxTsharkTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private static async Task<(PcapTx Tx, GraphStats Stats)> WriteAsync(int count, PcapOptions options)
    {
        var tx = new PcapTx(options);
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new PatternSource(count))
            .Add("pcap", tx)
            .Connect("source", "pcap")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);
        return (tx, graph.GetStats());
    }

    [Fact]
    public async Task FilesWrittenByFlowAreReadByTsharkWithTheSameCountBytesAndNanosecondTimestamps()
    {
        using var dir = new TempDirectory();
        (PcapTx tx, GraphStats stats) = await WriteAsync(1000, new PcapOptions { Path = dir.File("out.pcap") });

        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(1000, stats.Stage("pcap").Consumed);
        Assert.Equal(1000, tx.Records);
        IReadOnlyList<Tshark.Frame> frames = Tshark.Read(dir.File("out.pcap"));
        Assert.Equal(1000, frames.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.Equal(PatternSource.Expected(i), frames[i].Bytes);
            long ts = PatternSource.TimestampOf(i);
            Assert.Equal($"{ts / 1_000_000_000}.{ts % 1_000_000_000:D9}", frames[i].TimeEpoch);
        }
    }

    [Fact]
    public async Task MicrosecondOptionWritesTheClassicMagicThatTsharkReads()
    {
        using var dir = new TempDirectory();
        await WriteAsync(50, new PcapOptions { Path = dir.File("us.pcap"), Nanoseconds = false });

        byte[] head = File.ReadAllBytes(dir.File("us.pcap"))[..4];
        Assert.Equal(PcapFileHeader.MagicMicroseconds, BitConverter.ToUInt32(head));
        IReadOnlyList<Tshark.Frame> frames = Tshark.Read(dir.File("us.pcap"));
        Assert.Equal(50, frames.Count);
        long ts = PatternSource.TimestampOf(3);
        Assert.Equal($"{ts / 1_000_000_000}.{ts % 1_000_000_000 / 1000:D6}000", frames[3].TimeEpoch);
        Assert.Equal(PatternSource.Expected(3), frames[3].Bytes);
    }

    [Fact]
    public async Task SnapLengthCutsTheStoredBytesAndKeepsTheOriginalLength()
    {
        using var dir = new TempDirectory();
        await WriteAsync(20, new PcapOptions { Path = dir.File("snap.pcap"), SnapLength = 100 });

        IReadOnlyList<Tshark.Frame> frames = Tshark.Read(dir.File("snap.pcap"));
        Assert.Equal(20, frames.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            byte[] expected = PatternSource.Expected(i);
            Assert.Equal(expected.Length, frames[i].OriginalLength);
            Assert.Equal(expected.AsSpan(0, Math.Min(100, expected.Length)).ToArray(), frames[i].Bytes);
        }
    }

    [Fact]
    public async Task RotationBySizeSplitsTheCaptureIntoFilesThatTsharkReadsWithoutLoss()
    {
        using var dir = new TempDirectory();
        (PcapTx tx, _) = await WriteAsync(700, new PcapOptions { Path = dir.File("rot.pcap"), RotateBytes = 64 * 1024 });

        Assert.True(tx.Files.Count > 3, $"only {tx.Files.Count} files");
        Assert.Equal(dir.File("rot.pcap"), tx.Files[0]);
        Assert.Equal(dir.File("rot-1.pcap"), tx.Files[1]);
        int index = 0;
        foreach (string file in tx.Files)
        {
            Assert.True(new FileInfo(file).Length <= 64 * 1024, $"{file} is {new FileInfo(file).Length} bytes");
            foreach (Tshark.Frame frame in Tshark.Read(file))
            {
                Assert.Equal(PatternSource.Expected(index), frame.Bytes);
                index++;
            }
        }
        Assert.Equal(700, index);
    }

    [Fact]
    public void ABadPathOrSnapLengthIsRefusedWhenTheStageIsMade()
    {
        Assert.Throws<ArgumentException>(() => new PcapTx(new PcapOptions()));
        Assert.Throws<ArgumentException>(() => new PcapTx(new PcapOptions { Path = "/tmp/x.pcap", SnapLength = 0 }));
        Assert.Throws<ArgumentException>(() => new PcapTx(new PcapOptions { Path = "/tmp/x.pcap", RotateBytes = 100 }));
    }
}
