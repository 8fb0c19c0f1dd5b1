using Flow;
using Flow.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A JSON graph run as a hosted service, using a stage type defined in this assembly
// (size_classifier) and handing large frames to async application code through a channel.
//
//   small_gen ─┐                  ┌─small──> counter ──> null_sink
//              ├──> size_classifier
//   large_gen ─┘                  └─large──> channel_sink ~~> this program (ChannelReader)
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
// graph.json names this assembly under "assemblies", so size_classifier resolves by name;
// an app can instead register its stage types in code: services.AddFlowStagesFrom(assembly).
builder.Services.AddFlowGraph(Path.Combine(AppContext.BaseDirectory, "graph.json"), o => o.StopApplicationWhenDone = true);
using IHost host = builder.Build();

// The app side: read copies of the large frames while the graph runs.
FlowChannels channels = host.Services.GetRequiredService<FlowChannels>();
Task<(long Frames, long Bytes)> reading = Task.Run(async () =>
{
    long frames = 0, bytes = 0;
    await foreach (PacketRecord record in channels.Reader("large").ReadAllAsync())
    {
        frames++;
        bytes += record.OriginalLength;
    }
    return (frames, bytes);
});

await host.StartAsync();
await host.WaitForShutdownAsync();   // the graph stops the app when both generators are done
(long appFrames, long appBytes) = await reading.WaitAsync(TimeSpan.FromSeconds(30));

GraphStats stats = host.Services.GetRequiredKeyedService<FlowHostedService>("graph").Graph!.GetStats();
StageStats classify = stats.Stage("classify");
Console.WriteLine($"classify: in {classify.In}, small {classify.OutOn("small")}, large {classify.OutOn("large")}, runt {classify.DroppedFor("runt")}");
Console.WriteLine($"count: {stats.Stage("count").In} frames to null_sink");
Console.WriteLine($"app: {appFrames} large frames, {appBytes} bytes, consumer_slow drops {stats.Stage("to_app").DroppedFor("consumer_slow")}");
Console.WriteLine($"conservation: {(stats.IsBalanced ? "holds" : "BROKEN")}");
return stats.IsBalanced ? 0 : 1;
