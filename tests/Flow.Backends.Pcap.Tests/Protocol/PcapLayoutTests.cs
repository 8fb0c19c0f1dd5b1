using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xunit;

namespace Flow.Backends.Pcap.Tests.Protocol;

public class PcapLayoutTests
{
    [Fact]
    public void FileHeaderIs24BytesWithFieldsWhereTheFormatPutsThem()
    {
        Assert.Equal(24, Unsafe.SizeOf<PcapFileHeader>());
        Assert.Equal(0, (int)Marshal.OffsetOf<PcapFileHeader>(nameof(PcapFileHeader.Magic)));
        Assert.Equal(4, (int)Marshal.OffsetOf<PcapFileHeader>(nameof(PcapFileHeader.VersionMajor)));
        Assert.Equal(6, (int)Marshal.OffsetOf<PcapFileHeader>(nameof(PcapFileHeader.VersionMinor)));
        Assert.Equal(8, (int)Marshal.OffsetOf<PcapFileHeader>(nameof(PcapFileHeader.ThisZone)));
        Assert.Equal(12, (int)Marshal.OffsetOf<PcapFileHeader>(nameof(PcapFileHeader.SigFigs)));
        Assert.Equal(16, (int)Marshal.OffsetOf<PcapFileHeader>(nameof(PcapFileHeader.SnapLength)));
        Assert.Equal(20, (int)Marshal.OffsetOf<PcapFileHeader>(nameof(PcapFileHeader.LinkType)));
    }

    [Fact]
    public void RecordHeaderIs16BytesWithFieldsWhereTheFormatPutsThem()
    {
        Assert.Equal(16, Unsafe.SizeOf<PcapRecordHeader>());
        Assert.Equal(0, (int)Marshal.OffsetOf<PcapRecordHeader>(nameof(PcapRecordHeader.Seconds)));
        Assert.Equal(4, (int)Marshal.OffsetOf<PcapRecordHeader>(nameof(PcapRecordHeader.Fraction)));
        Assert.Equal(8, (int)Marshal.OffsetOf<PcapRecordHeader>(nameof(PcapRecordHeader.CapturedLength)));
        Assert.Equal(12, (int)Marshal.OffsetOf<PcapRecordHeader>(nameof(PcapRecordHeader.OriginalLength)));
    }
}
