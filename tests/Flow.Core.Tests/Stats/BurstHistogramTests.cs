using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Stats;

[Collection(nameof(CoreBoundCollection))]
public class BurstHistogramTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 3)]
    [InlineData(31, 5)]
    [InlineData(32, 6)]
    [InlineData(255, 8)]
    [InlineData(256, 9)]
    public void BurstSizesFallIntoPowerOfTwoBuckets(int size, int bucket) => Assert.Equal(bucket, BurstHistogram.BucketOf(size));

    [Fact]
    public async Task SourcesReportHowFullTheirPollsWere()
    {
        using FlowGraph graph = new GraphBuilder()
            .WithBurst(32)
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 32 * 100 }))
            .Add("sink", new NullSink())
            .Connect("source", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        BurstHistogram bursts = graph.GetStats().Stage("source").Bursts!;
        Assert.Equal(100, bursts.Counts[BurstHistogram.BucketOf(32)]);
        Assert.Equal(100, bursts.NonEmptyPolls);
        Assert.Null(graph.GetStats().Stage("sink").Bursts);
    }
}
