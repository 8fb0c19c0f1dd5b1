using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Pcap.Tests;

[Collection(nameof(PcapCollection))]
public class PcapTapCaptureTests
{
    [Fact]
    public async Task CapturingAnEdgeWritesWhatPassesAndChangesNothingDownstream()
    {
        using var dir = new TempDirectory();
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { SourceId = 3, Count = 2000 }))
            .Add("count", new Counter())
            .Add("sink", capture)
            .Capture("source", "count", "tap", new PcapOptions { Path = dir.File("edge.pcap") })
            .Connect("count", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(2000, stats.Stage("tap").OutOn("out"));
        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [3] = 2000 });
        IReadOnlyList<Tshark.Frame> frames = Tshark.Read(dir.File("edge.pcap"));
        Assert.Equal(2000, frames.Count);
        IReadOnlyList<byte[]> delivered = capture.Frames;
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.Equal(delivered[i], frames[i].Bytes);
        }
    }

    [Fact]
    public void StagesAreRegisteredByTheirTypeNames()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddFlow().AddFlowPcap();
        using Microsoft.Extensions.DependencyInjection.ServiceProvider provider =
            Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var registry = (StageRegistry)provider.GetService(typeof(StageRegistry))!;
        Assert.True(registry.TryGet("pcap_rx", out StageRegistration rx));
        Assert.Equal(typeof(PcapOptions), rx.OptionsType);
        Assert.True(registry.TryGet("pcap_tx", out _));
        Assert.True(registry.TryGet("pcap_tap", out _));
    }
}
