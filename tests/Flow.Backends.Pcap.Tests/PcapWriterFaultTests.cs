using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Pcap.Tests;

/// <summary>
/// Open and write errors of pcap_tx and pcap_tap become counted <c>not_written</c> drops; the
/// stage never throws into the graph, and a failed rotation is retried from Tick.
/// </summary>
[Collection(nameof(PcapCollection))]
public class PcapWriterFaultTests
{
    private const int FrameBytes = 1000;

    [Fact]
    public void RotationIntoARemovedDirectoryCountsTheRecordsAsLostAndALaterTickOpensTheNextFile()
    {
        using var dir = new TempDirectory();
        string captures = dir.File("captures");
        Directory.CreateDirectory(captures);
        using var pool = new LeakCheckingPool();
        // 1016-byte records: 24 + 4 × 1016 = 4088 bytes fill a file, the fifth record rotates.
        // BufferBytes 0 gives the smallest buffer (one record), so the lost records below are
        // several buffers' worth: none of them may be written into it.
        var tx = new PcapTx(new PcapOptions { Path = Path.Combine(captures, "out.pcap"), RotateBytes = 4096, SnapLength = 1500, BufferBytes = 0 });
        using (var harness = new StageHarness(tx, "pcap"))
        {
            Send(harness, pool, 4);
            Directory.Delete(captures, recursive: true);

            Send(harness, pool, 6);

            Assert.Equal(6, harness.Stats.DroppedFor("not_written"));
            Assert.Equal(6, tx.LostRecords);
            Assert.Contains("out-1.pcap", tx.LastError);

            harness.Tick(1_000_000_000); // the directory is still gone: the retry fails too
            Send(harness, pool, 1);
            Assert.Equal(7, tx.LostRecords);

            Directory.CreateDirectory(captures);
            harness.Tick(2_000_000_000);
            Send(harness, pool, 2);
            tx.OnStop();

            StageStats stats = harness.Stats;
            Assert.Equal(7, stats.DroppedFor("not_written"));
            Assert.Equal(13, stats.Consumed);
            Assert.True(stats.IsBalanced, stats.ToString());
        }
        Assert.Equal([Path.Combine(captures, "out.pcap"), Path.Combine(captures, "out-1.pcap")], tx.Files);
        Assert.Equal(2, Tshark.Read(Path.Combine(captures, "out-1.pcap")).Count);
    }

    [Fact]
    public async Task ACaptureTapWhoseRotationCannotCreateItsFileKeepsTheGraphRunningAndCountsTheLostRecords()
    {
        using var dir = new TempDirectory();
        // A directory where the first rotated file belongs: removing or creating it fails on every try.
        Directory.CreateDirectory(dir.File("edge-1.pcap"));
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { SourceId = 5, Count = 2000 }))
            .Add("sink", capture)
            .Capture("source", "sink", "tap", new PcapOptions { Path = dir.File("edge.pcap"), RotateBytes = 16384 })
            .Build();

        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [5] = 2000 });
        Assert.Equal(2000, stats.Stage("tap").OutOn("out"));
        int written = Tshark.Read(dir.File("edge.pcap")).Count;
        Assert.InRange(written, 1, 1999);
        Assert.Equal(2000 - written, stats.Stage("tap").DroppedFor("not_written"));
    }

    private static void Send(StageHarness harness, LeakCheckingPool pool, int count)
    {
        byte[] frame = new byte[FrameBytes];
        var packets = new Packet[count];
        for (int i = 0; i < count; i++)
        {
            frame[0] = (byte)i;
            packets[i] = pool.Make(frame);
        }
        harness.Process(packets);
    }
}
