using System.Diagnostics.Metrics;
using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Stats;

[Collection(nameof(CoreBoundCollection))]
public class FlowMetricsTests
{
    [Fact]
    public async Task MeterFlowPublishesPerPortPacketsAndPerReasonDrops()
    {
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 1_000 }))
            .Add("split", new Flow.Core.Tests.Graph.ParitySplitter())
            .Add("sink", new NullSink()).Add("drop", new Dropper())
            .Connect("source", "split").Connect("split:even", "sink").Connect("split:odd", "drop")
            .Build();
        using var metrics = new FlowMetrics();
        metrics.Track(graph);
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FlowMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name + "|" + string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
            seen[key] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(500, seen["flow.stage.packets|stage=split,port=even"]);
        Assert.Equal(500, seen["flow.stage.packets|stage=split,port=odd"]);
        Assert.Equal(500, seen["flow.stage.drops|stage=drop,reason=dropped"]);
        Assert.Equal(0, seen["flow.stage.drops|stage=split,reason=truncated"]);
        Assert.True(seen["flow.stage.batches|stage=split"] > 0);
    }
}
