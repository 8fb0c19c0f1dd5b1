using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Graph;

public class GraphBuilderValidationTests
{
    private static TaggedSource Source() => new(new TaggedSourceOptions { Count = 10 });

    private static GraphValidationException Fails(GraphBuilder builder) => Assert.Throws<GraphValidationException>(builder.Build);

    [Fact]
    public void AFiveStageGraphBuildsFromTenReadableLines()
    {
        using FlowGraph graph = new GraphBuilder()
            .Add("source", Source())
            .Add("split", new ParitySplitter())
            .Add("count", new Counter())
            .Add("sink", new NullSink())
            .Add("drop", new Dropper())
            .Connect("source", "split")
            .Connect("split:even", "count")
            .Connect("split:odd", "drop")
            .Connect("count", "sink")
            .Build();
        Assert.Equal(5, graph.Stages.Count);
        Assert.Empty(graph.Warnings);
    }

    [Fact]
    public void UnconnectedPortIsNamed()
    {
        var e = Fails(new GraphBuilder().Add("source", Source()).Add("split", new ParitySplitter()).Add("sink", new NullSink())
            .Connect("source", "split").Connect("split:even", "sink"));
        Assert.Contains("stage 'split' (parity_splitter): port 'odd' is not connected", e.Message);
    }

    [Fact]
    public void TypeMismatchNamesBothStagesAndPorts()
    {
        var e = Fails(new GraphBuilder().Add("source", Source()).Add("v4", new Ipv4Only()).Add("sink", new NullSink())
            .Connect("source", "v4").Connect("v4", "sink"));
        Assert.Contains("edge source:out -> v4: port 'source:out' carries Ethernet but stage 'v4' (ipv4_only) accepts Ipv4", e.Message);
    }

    [Fact]
    public void StagePlacedTwiceIsRefused()
    {
        var sink = new NullSink();
        var e = Fails(new GraphBuilder().Add("source", Source()).Add("a", sink).Add("b", sink).Connect("source", "a"));
        Assert.Contains("stage 'b' is the same instance as stage 'a'", e.Message);
    }

    [Fact]
    public void DuplicateNameIsRefused()
    {
        var e = Fails(new GraphBuilder().Add("source", Source()).Add("sink", new NullSink()).Add("sink", new NullSink()).Connect("source", "sink"));
        Assert.Contains("stage 'sink' is added twice", e.Message);
    }

    [Fact]
    public void CycleWithinOneWorkerIsNamed()
    {
        var e = Fails(new GraphBuilder()
            .Add("source", Source()).Add("a", new Counter()).Add("b", new ParitySplitter()).Add("drop", new Dropper())
            .Connect("source", "a").Connect("a", "b").Connect("b:even", "a").Connect("b:odd", "drop"));
        Assert.Contains("form a cycle", e.Message);
        Assert.Contains("a -> b -> a", e.Message);
    }

    [Fact]
    public void UnknownStageAndPortAreNamedWithWhatExists()
    {
        var e = Fails(new GraphBuilder().Add("source", Source()).Add("split", new ParitySplitter()).Add("sink", new NullSink())
            .Connect("source", "split").Connect("split:evn", "sink").Connect("split:odd", "nowhere"));
        Assert.Contains("stage 'split' (parity_splitter) has no port 'evn'; its ports are even, odd", e.Message);
        Assert.Contains("edge split:odd -> nowhere: no stage named 'nowhere'", e.Message);
    }

    [Fact]
    public void PortMustBeNamedWhenAStageHasSeveral()
    {
        var e = Fails(new GraphBuilder().Add("source", Source()).Add("split", new ParitySplitter()).Add("sink", new NullSink())
            .Connect("source", "split").Connect("split", "sink"));
        Assert.Contains("has ports even, odd; name one as 'split:<port>'", e.Message);
    }

    [Fact]
    public void PortConnectedTwiceIsRefused()
    {
        var e = Fails(new GraphBuilder().Add("source", Source()).Add("a", new NullSink()).Add("b", new NullSink())
            .Connect("source", "a").Connect("source", "b"));
        Assert.Contains("port 'source:out' is already connected to 'a'", e.Message);
    }

    [Fact]
    public void SourceCannotBeATarget()
    {
        var e = Fails(new GraphBuilder().Add("s1", Source()).Add("s2", Source()).Connect("s1", "s2"));
        Assert.Contains("stage 's2' (tagged_source) is a source and takes no input", e.Message);
    }

    [Fact]
    public void CpuTheMachineDoesNotHaveIsRefused()
    {
        var e = Fails(new GraphBuilder().Worker(0, cpu: 4096).Add("source", Source()).Add("sink", new NullSink()).Connect("source", "sink"));
        Assert.Contains("worker 0: cpu 4096 is not available on this machine", e.Message);
    }

    [Fact]
    public void AllErrorsAreReportedAtOnce()
    {
        var e = Fails(new GraphBuilder().Add("split", new ParitySplitter()).Connect("x", "y"));
        Assert.True(e.Errors.Count >= 3, string.Join("\n", e.Errors));
    }

    [Fact]
    public void MoreBusyPollersThanCpusAreSwitchedToYieldingAndSaySo()
    {
        var builder = new GraphBuilder();
        int workers = Environment.ProcessorCount + 1;
        for (int w = 0; w < workers; w++)
        {
            builder.Worker(w, idle: IdlePolicy.BusyPoll).Add($"s{w}", Source(), w).Add($"k{w}", new NullSink(), w).Connect($"s{w}", $"k{w}");
        }
        using FlowGraph graph = builder.Build();
        Assert.Contains(graph.Warnings, w => w.Contains("switched to the yielding idle policy"));
        Assert.All(graph.Workers, w => Assert.Equal(IdleKind.SpinThenSleep, w.Idle.Kind));
    }

    [Fact]
    public void TwoBusyPollersPinnedToOneCpuAreSwitchedToYielding()
    {
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, cpu: 0).Worker(1, cpu: 0)
            .Add("s0", Source(), 0).Add("k0", new NullSink(), 0).Connect("s0", "k0")
            .Add("s1", Source(), 1).Add("k1", new NullSink(), 1).Connect("s1", "k1")
            .Build();
        string warning = Assert.Single(graph.Warnings);
        Assert.Contains("busy-polling workers (0, 1)", warning);
        Assert.Contains("switched to the yielding idle policy", warning);
        Assert.All(graph.Workers, w => Assert.Equal(IdleKind.SpinThenSleep, w.Idle.Kind));
    }
}
