using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Pcap.Tests;

/// <summary>
/// Output paths are never written through a link: a symbolic or hard link planted in a shared
/// directory must not make a root Flow truncate the file it points at.
/// </summary>
[Collection(nameof(PcapCollection))]
public class PcapWriterPathTests
{
    private const string Precious = "not a capture";

    [Fact]
    public void ASymbolicLinkAtTheOutputPathIsRefusedAndItsTargetIsUntouched()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("precious"), Precious);
        File.CreateSymbolicLink(dir.File("out.pcap"), dir.File("precious"));

        IOException e = Assert.Throws<IOException>(() => new PcapTx(new PcapOptions { Path = dir.File("out.pcap") }));

        Assert.Contains("symbolic link", e.Message);
        Assert.Contains(dir.File("out.pcap"), e.Message);
        Assert.Equal(Precious, File.ReadAllText(dir.File("precious")));
    }

    [Fact]
    public void ADanglingSymbolicLinkAtTheOutputPathIsRefusedAndCreatesNothing()
    {
        using var dir = new TempDirectory();
        File.CreateSymbolicLink(dir.File("out.pcap"), dir.File("elsewhere"));

        Assert.Throws<IOException>(() => new PcapTap(new PcapOptions { Path = dir.File("out.pcap") }));

        Assert.False(File.Exists(dir.File("elsewhere")));
    }

    [Fact]
    public void AHardLinkedFileAtTheOutputPathIsRefusedAndKeepsItsContent()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("precious"), Precious);
        Shell.RunWithLimit(TimeSpan.FromSeconds(10), "ln", dir.File("precious"), dir.File("out.pcap"));

        IOException e = Assert.Throws<IOException>(() => new PcapTx(new PcapOptions { Path = dir.File("out.pcap") }));

        Assert.Contains("hard links", e.Message);
        Assert.Equal(Precious, File.ReadAllText(dir.File("precious")));
    }

    [Fact]
    public async Task ASymbolicLinkUnderARotatedNameIsReplacedByANewFileNotWrittenThrough()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("precious"), Precious);
        File.CreateSymbolicLink(dir.File("out-1.pcap"), dir.File("precious"));
        var tx = new PcapTx(new PcapOptions { Path = dir.File("out.pcap"), RotateBytes = 8192 });
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new PatternSource(20))
            .Add("pcap", tx)
            .Connect("source", "pcap")
            .Build();

        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, tx.LostRecords);
        Assert.Contains(dir.File("out-1.pcap"), tx.Files);
        Assert.Equal(Precious, File.ReadAllText(dir.File("precious")));
        Assert.Null(new FileInfo(dir.File("out-1.pcap")).LinkTarget);
        Assert.NotEmpty(Tshark.Read(dir.File("out-1.pcap")));
    }

    [Fact]
    public async Task AnEarlierRunsRegularFileAtTheOutputPathIsStillTruncatedAndRewritten()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("out.pcap"), new byte[100_000]);
        var tx = new PcapTx(new PcapOptions { Path = dir.File("out.pcap") });
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new PatternSource(3))
            .Add("pcap", tx)
            .Connect("source", "pcap")
            .Build();

        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(3, Tshark.Read(dir.File("out.pcap")).Count);
    }
}
