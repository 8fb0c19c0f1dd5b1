using System.Buffers.Binary;
using Xunit;

namespace Flow.Backends.Pcap.Tests;

[Collection(nameof(PcapCollection))]
public class PcapRxMalformedTests
{
    private static byte[] Header(uint magic = PcapFileHeader.MagicNanoseconds, uint linkType = 1)
    {
        byte[] header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), linkType);
        return header;
    }

    private static byte[] Record(int captured, int original, int bodyBytes, byte fill)
    {
        byte[] record = new byte[16 + bodyBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(0), 1_700_000_000);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)captured);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)original);
        record.AsSpan(16).Fill(fill);
        return record;
    }

    private static string Write(TempDirectory dir, params byte[][] parts)
    {
        string path = dir.File("bad.pcap");
        File.WriteAllBytes(path, parts.SelectMany(p => p).ToArray());
        return path;
    }

    [Fact]
    public void ABadMagicIsRefusedWithAnErrorNamingTheFileAndTheMagic()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, Header(magic: 0xDEADBEEF), Record(60, 60, 60, 1));
        PcapFormatException e = Assert.Throws<PcapFormatException>(() => new PcapRx(new PcapOptions { Path = path }));
        Assert.Contains(path, e.Message);
        Assert.Contains("magic 0xdeadbeef", e.Message);
    }

    [Fact]
    public void AFileShorterThanTheHeaderIsRefused()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, Header()[..10]);
        PcapFormatException e = Assert.Throws<PcapFormatException>(() => new PcapRx(new PcapOptions { Path = path }));
        Assert.Contains("shorter than the 24-byte pcap file header", e.Message);
    }

    [Fact]
    public void AnEmptyFileIsRefused()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, []);
        Assert.Throws<PcapFormatException>(() => new PcapRx(new PcapOptions { Path = path }));
    }

    [Fact]
    public void APcapngFileIsRefusedWithAHint()
    {
        using var dir = new TempDirectory();
        byte[] header = Header();
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x0A0D0D0A);
        PcapFormatException e = Assert.Throws<PcapFormatException>(() => new PcapRx(new PcapOptions { Path = Write(dir, header) }));
        Assert.Contains("pcapng", e.Message);
    }

    [Fact]
    public void ALinkTypeOtherThanEthernetIsRefused()
    {
        using var dir = new TempDirectory();
        PcapFormatException e = Assert.Throws<PcapFormatException>(() => new PcapRx(new PcapOptions { Path = Write(dir, Header(linkType: 101)) }));
        Assert.Contains("link type 101", e.Message);
    }

    [Fact]
    public void AMissingFileIsRefused()
    {
        Assert.Throws<PcapFormatException>(() => new PcapRx(new PcapOptions { Path = "/nonexistent/flow.pcap" }));
    }

    [Fact]
    public async Task ATruncatedRecordIsACountedDropAndTheReplayStopsThere()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, Header(), Record(60, 60, 60, 1), Record(60, 60, 60, 2), Record(100, 100, 40, 3));

        (var capture, GraphStats stats, PcapRx rx) = await PcapRxReplayTests.ReplayAsync(new PcapOptions { Path = path });

        Assert.Equal(2, capture.Count);
        Assert.Equal(1, stats.Stage("rx").DroppedFor("truncated"));
        Assert.Contains("offset 176", rx.Problem);
    }

    [Fact]
    public async Task ARecordHeaderCutShortIsACountedDrop()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, Header(), Record(60, 60, 60, 1), new byte[7]);

        (var capture, GraphStats stats, PcapRx rx) = await PcapRxReplayTests.ReplayAsync(new PcapOptions { Path = path });

        Assert.Equal(1, capture.Count);
        Assert.Equal(1, stats.Stage("rx").DroppedFor("truncated"));
        Assert.Contains("7 bytes left", rx.Problem);
    }

    [Theory]
    [InlineData(0x7FFF_FFF0, 0x7FFF_FFF0)]
    [InlineData(300_000, 300_000)]
    [InlineData(100, 60)]
    public async Task AnAbsurdLengthIsACountedDropNotACrash(int captured, int original)
    {
        using var dir = new TempDirectory();
        string path = Write(dir, Header(), Record(60, 60, 60, 1), Record(captured, original, 100, 2), Record(60, 60, 60, 3));

        (var capture, GraphStats stats, PcapRx rx) = await PcapRxReplayTests.ReplayAsync(new PcapOptions { Path = path, Loops = 0 });

        Assert.Equal(1, capture.Count);
        Assert.Equal(1, stats.Stage("rx").DroppedFor("bad_length"));
        Assert.Contains($"captured length {(uint)captured}", rx.Problem);
    }

    [Fact]
    public async Task ARecordLongerThanAFrameIsSkippedAsTooBig()
    {
        using var dir = new TempDirectory();
        string path = Write(dir, Header(), Record(60, 60, 60, 1), Record(9000, 9000, 9000, 2), Record(60, 60, 60, 3));

        (var capture, GraphStats stats, PcapRx rx) = await PcapRxReplayTests.ReplayAsync(new PcapOptions { Path = path });

        Assert.Equal(2, capture.Count);
        Assert.Equal(3, capture.Frames[1][0]);
        Assert.Equal(1, stats.Stage("rx").DroppedFor("too_big"));
        Assert.Null(rx.Problem);
    }

    [Fact]
    public async Task AFileWithOnlyAHeaderReplaysNothingAndEndsEvenWhenLoopingForever()
    {
        using var dir = new TempDirectory();
        (var capture, _, _) = await PcapRxReplayTests.ReplayAsync(new PcapOptions { Path = Write(dir, Header()), Loops = 0 });
        Assert.Equal(0, capture.Count);
    }
}
