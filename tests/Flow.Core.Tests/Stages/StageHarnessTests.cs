using Flow.Core.Tests.Graph;
using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Stages;

public class StageHarnessTests
{
    private static Packet Tagged(LeakCheckingPool pool, byte sequence)
    {
        var bytes = new byte[64];
        bytes[25] = sequence;
        return pool.Make(bytes);
    }

    [Fact]
    public void PacketsLeaveOnTheirPortsInOrderAndDropsAreCounted()
    {
        using var pool = new LeakCheckingPool(64);
        using (var harness = new StageHarness(new ParitySplitter()))
        {
            Packet[] batch = [Tagged(pool, 0), Tagged(pool, 1), Tagged(pool, 2), pool.Make(new byte[10])];
            harness.Process(batch);
            Assert.Equal([batch[0], batch[2]], harness.Output("even"));
            Assert.Equal([batch[1]], harness.Output("odd"));
            StageStats stats = harness.Stats;
            Assert.Equal(4, stats.In);
            Assert.Equal(1, stats.DroppedFor("truncated"));
            Assert.True(stats.IsBalanced, stats.ToString());
        }
    }

    [Fact]
    public void EmittedCopiesAreCollectedAndCounted()
    {
        using var pool = new LeakCheckingPool(64);
        using var copies = new LeakCheckingPool(64);
        using (var harness = new StageHarness(new Duplicator(copies.Pool)))
        {
            harness.Process([Tagged(pool, 7)]);
            Assert.Single(harness.Output("a"));
            Assert.Single(harness.Output("b"));
            Assert.Equal(7, harness.Output("b")[0].Data[25]);
            Assert.Equal(1, harness.Stats.Emitted);
            Assert.True(harness.Stats.IsBalanced);
        }
    }

    [Fact]
    public void BatchesLargerThanTheInputAreSplit()
    {
        using var pool = new LeakCheckingPool(1024);
        using var harness = new StageHarness(new ParitySplitter());
        var batch = new Packet[600];
        for (int i = 0; i < batch.Length; i++)
        {
            batch[i] = Tagged(pool, (byte)i);
        }
        harness.Process(batch);
        Assert.Equal(300, harness.Output("even").Count);
        Assert.True(harness.Stats.Batches >= 3);
        Packet[] taken = harness.Take("odd");
        Assert.Equal(300, taken.Length);
        Assert.Empty(harness.Output("odd"));
        pool.Pool.FreeBulk(taken);
    }

    [Fact]
    public void AnUnknownPortIsNamedWithTheKnownOnes()
    {
        using var harness = new StageHarness(new ParitySplitter());
        var e = Assert.Throws<ArgumentException>(() => harness.Output("third"));
        Assert.Contains("has no port 'third'; its ports are even, odd", e.Message);
    }

    [Fact]
    public void AStageInAGraphCannotBeHarnessed()
    {
        var splitter = new ParitySplitter();
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 1 }))
            .Add("split", splitter).Add("sink", new NullSink())
            .Connect("source", "split").Connect("split:even", "sink").Connect("split:odd", "sink")
            .Build();
        Assert.Throws<InvalidOperationException>(() => new StageHarness(splitter));
    }
}
