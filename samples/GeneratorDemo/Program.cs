using System.Globalization;
using Flow;
using Flow.Samples.GeneratorDemo;

// Flow's demo: the built-in generator feeds a user-written stage, a counter and a sink on one
// pinned worker; per-stage statistics are printed every second.
//
//   generator ──> ttl_filter ──out──> counter ──> null_sink
//                      └──drop (truncated, not_ipv4, bad_header, ttl_expired)
int seconds = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out int s) ? s : 5;

using FlowGraph graph = new GraphBuilder()
    .Worker(0, cpu: Environment.ProcessorCount - 1, idle: IdlePolicy.BusyPoll)
    .Add("generator", new Generator(new GeneratorOptions { FrameSize = 64 }))
    .Add("ttl", new TtlFilter())
    .Add("count", new Counter())
    .Add("sink", new NullSink())
    .Connect("generator", "ttl")
    .Connect("ttl", "count")
    .Connect("count", "sink")
    .Build();

Console.WriteLine($"Flow demo: generator -> ttl_filter -> counter -> null_sink on worker 0 (cpu {Environment.ProcessorCount - 1}), {seconds} s");
graph.Start();
GraphStats previous = graph.GetStats();
for (int second = 1; second <= seconds; second++)
{
    await Task.Delay(1000);
    GraphStats now = graph.GetStats();
    Console.WriteLine();
    Console.WriteLine($"t={second}s  {"stage",-10} {"in pkt/s",14} {"out",14} {"dropped",10} {"ns/pkt",8}");
    foreach (StageStats stage in now.Stages)
    {
        StageStats before = previous.Stage(stage.Name);
        Console.WriteLine($"       {stage.Name,-10} {(stage.In - before.In),14:N0} {stage.OutTotal,14:N0} {stage.DroppedTotal,10:N0} {stage.NanosecondsPerPacket,8:F1}");
    }
    previous = now;
}
await graph.StopAsync(drain: true);
GraphStats final = graph.GetStats();
Console.WriteLine();
Console.WriteLine($"final: {final.Stage("sink").Consumed:N0} packets delivered, conservation {(final.IsBalanced ? "holds" : "BROKEN")} for every stage");
return final.IsBalanced ? 0 : 1;
