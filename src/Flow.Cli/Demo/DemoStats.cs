using System.Diagnostics;
using Spectre.Console;

namespace Flow.Cli;

/// <summary>The demos' live view of a running graph.</summary>
internal static class DemoStats
{
    /// <summary>Live stats once a second until <paramref name="pinging"/> is done (or the graph ends): a table on a terminal, plain lines otherwise.</summary>
    public static async Task ShowAsync(FlowGraph graph, Task pinging, Stopwatch clock)
    {
        GraphStats previous = graph.GetStats();
        TimeSpan previousAt = clock.Elapsed;
        async Task Tick(Action<GraphStats, GraphStats, double> show)
        {
            while (!pinging.IsCompleted && !graph.Completion.IsCompleted)
            {
                await Task.WhenAny(pinging, graph.Completion, Task.Delay(TimeSpan.FromSeconds(1)));
                if ((clock.Elapsed - previousAt).TotalSeconds >= 0.999 && !graph.Completion.IsCompleted)
                {
                    GraphStats current = graph.GetStats();
                    show(previous, current, (clock.Elapsed - previousAt).TotalSeconds);
                    previous = current;
                    previousAt = clock.Elapsed;
                }
            }
        }
        if (Console.IsOutputRedirected)
        {
            await Tick((before, now, seconds) => StatsView.WritePlain(Console.Out, before, now, seconds, clock.Elapsed));
            return;
        }
        await AnsiConsole.Live(StatsView.LiveTable(previous, previous, 0, TimeSpan.Zero)).AutoClear(true)
            .StartAsync(async context => await Tick((before, now, seconds) => context.UpdateTarget(StatsView.LiveTable(before, now, seconds, clock.Elapsed))));
    }
}
