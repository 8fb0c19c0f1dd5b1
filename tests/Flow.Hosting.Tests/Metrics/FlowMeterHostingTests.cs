using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>A hosted graph publishes through the 'Flow' meter, which is what dotnet-counters reads.</summary>
public sealed class FlowMeterHostingTests
{
    [Fact]
    public async Task HostedGraphIsVisibleThroughTheFlowMeter()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "GraphFiles", "ok_comments_and_trailing_commas.json");
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddFlowGraph(path, o => o.Name = "metered");
        using IHost host = builder.Build();
        FlowHostedService service = host.Services.GetRequiredKeyedService<FlowHostedService>("metered");
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await service.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        var packets = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FlowMetrics.MeterName && instrument.Name == "flow.stage.packets")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string stage = "", port = "";
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "stage")
                {
                    stage = (string)tag.Value!;
                }
                else if (tag.Key == "port")
                {
                    port = (string)tag.Value!;
                }
            }
            packets[$"{stage}:{port}"] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1000, packets["gen:out"]);
        Assert.Equal(1000, packets["count:out"]);
        Assert.True(service.Graph!.GetStats().IsBalanced);
    }
}
