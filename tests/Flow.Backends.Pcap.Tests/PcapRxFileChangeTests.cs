using System.Buffers.Binary;
using Xunit;

namespace Flow.Backends.Pcap.Tests;

/// <summary>
/// The replayed file changing under the mapping (truncated by a rotation) and timestamps no
/// capture produces: a counted drop and a Problem, never SIGBUS or a replay that waits forever.
/// </summary>
[Collection(nameof(PcapCollection))]
public class PcapRxFileChangeTests
{
    private const int RecordBody = 1000;
    private const int RecordBytes = 16 + RecordBody;

    [Theory]
    [InlineData(8192, "shrank to 8192 bytes")] // behind the replay's position
    [InlineData(100_000, "the file has 392 left")] // ahead of it, inside a record
    public void AFileTruncatedUnderTheReplayEndsItWithATruncatedDropInsteadOfSigbus(int truncateTo, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("replay.pcap");
        WriteFile(path, 2000, i => 1_700_000_000L * 1_000_000_000L + i);
        var rx = new PcapRx(new PcapOptions { Path = path });
        using var harness = new StageHarness(rx, "rx");
        Assert.Equal(32, harness.Poll(32));
        PacketPools.Free(harness.Take("out"));

        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            file.SetLength(truncateTo);
        }
        for (int i = 0; i < 1000 && !rx.IsExhausted; i++)
        {
            harness.Poll(32);
            PacketPools.Free(harness.Take("out"));
        }

        Assert.True(rx.IsExhausted);
        Assert.Contains(problem, rx.Problem);
        Assert.Equal(1, harness.Stats.DroppedFor("truncated"));
    }

    [Fact]
    public void AFarFutureTimestampAtTheRecordedPaceStopsTheReplayWithAProblemInsteadOfWaiting()
    {
        using var dir = new TempDirectory();
        string path = dir.File("future.pcap");
        // The second record claims 2096: seventy years after the first.
        WriteFile(path, 3, i => i == 1 ? 4_000_000_000L * 1_000_000_000L : 1_700_000_000L * 1_000_000_000L + i);
        var rx = new PcapRx(new PcapOptions { Path = path, Pace = PcapPace.Recorded });
        using var harness = new StageHarness(rx, "rx");
        rx.OnStart();

        Assert.Equal(1, harness.Poll(32));

        Assert.True(rx.IsExhausted);
        Assert.Contains("s after the one before it", rx.Problem);
        Assert.Equal(1, harness.Stats.DroppedFor("bad_timestamp"));
    }

    private static void WriteFile(string path, int records, Func<int, long> timestampNs)
    {
        byte[] bytes = new byte[24 + records * RecordBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, PcapFileHeader.MagicNanoseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), PcapFileHeader.LinkTypeEthernet);
        for (int i = 0; i < records; i++)
        {
            Span<byte> record = bytes.AsSpan(24 + i * RecordBytes, RecordBytes);
            long ts = timestampNs(i);
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(ts / 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(4), (uint)(ts % 1_000_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(8), RecordBody);
            BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(12), RecordBody);
            record.Slice(16).Fill((byte)i);
        }
        File.WriteAllBytes(path, bytes);
    }
}
