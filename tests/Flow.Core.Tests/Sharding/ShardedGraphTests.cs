using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests;

/// <summary><see cref="GraphBuilder.Shards"/>: copies of a graph, one per shard, on workers of their own, nothing shared between them.</summary>
public sealed class ShardedGraphTests
{
    [Fact]
    public async Task EachShardRunsItsCopyOnItsOwnWorkersAndTheStatsSumOverShards()
    {
        using FlowGraph graph = new GraphBuilder()
            .Shards(2, shard => shard
                .Worker(0, idle: IdlePolicy.Yielding)
                .Worker(1, idle: IdlePolicy.Yielding)
                .Add("gen", new Generator(new GeneratorOptions { Count = 1000 * (shard.Shard + 1) }))
                .Add("count", new Counter(), worker: 1)
                .Add("sink", new NullSink(), worker: 1)
                .Connect("gen", "count", backPressure: true)
                .Connect("count:out", "sink"), workersPerShard: 2)
            .Build();

        Assert.Equal(
            ["count@0 1", "count@1 3", "gen@0 0", "gen@1 2", "sink@0 1", "sink@1 3"],
            graph.Stages.Select(s => $"{s.Name} {s.Worker}").Order(StringComparer.Ordinal));
        // Each shard's generator feeds its own counter through a ring of its own.
        Assert.Equal(["gen@0:out -> count@0", "gen@1:out -> count@1"],
            graph.Edges.Where(e => e.From.StartsWith("gen", StringComparison.Ordinal)).Select(e => $"{e.From}:{e.Port} -> {e.To}").Order(StringComparer.Ordinal));

        graph.Start();
        await Waits.Until(() => graph.GetStats().Summed("sink").Consumed == 3000,
            () => "both shards' generators to finish: " + string.Join("; ", graph.GetStats().Stages));
        await graph.StopAsync(drain: true);
        GraphStats stats = graph.GetStats();
        Assert.Equal((1000L, 2000L), (stats.Stage("count@0").In, stats.Stage("count@1").In));
        StageStats summed = stats.Summed("count");
        Assert.Equal(("count", 3000L, 3000L), (summed.Name, summed.In, summed.OutOn("out")));
        Assert.True(summed.IsBalanced);
    }

    [Fact]
    public void AShardWorkerOutsideTheShardIsRefused()
    {
        var builder = new GraphBuilder();
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Shards(2, shard => shard.Add("sink", new NullSink(), worker: 1)));
    }

    [Theory]
    [InlineData("rx@3", "rx", 3)]
    [InlineData("rx", "rx", null)]
    [InlineData("a@b", "a@b", null)]
    [InlineData("@1", "@1", null)]
    public void ShardNamesSplitIntoTheDeclaredNameAndTheShard(string stageName, string name, int? shard)
    {
        Assert.Equal((name, shard), ShardNames.Split(stageName));
        Assert.True(ShardNames.Matches(stageName, name));
    }
}
