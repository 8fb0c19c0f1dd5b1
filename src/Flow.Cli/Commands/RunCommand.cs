using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Flow.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Flow.Cli;

/// <summary><c>flow run &lt;graph.json&gt; [--duration s] [--stats] [--metrics 127.0.0.1:9464]</c>.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var graph = new Argument<string>("graph") { Description = "The graph file to run (JSON, see docs/graph-format.md)." };
        var duration = new Option<double?>("--duration", "-d")
        {
            Description = "Stop after this many seconds: sources stop, packets in flight drain, final stats print. " +
                "Without it the graph runs until every source is exhausted or Ctrl-C.",
            HelpName = "seconds",
        };
        var stats = new Option<bool>("--stats", "-s")
        {
            Description = "Show live stats every second: a table on a terminal, one line per stage/ring/worker when output is redirected.",
        };
        var metrics = new Option<string?>("--metrics")
        {
            Description = "Serve Prometheus metrics at http://<address:port>/metrics while running. Loopback addresses only (e.g. 127.0.0.1:9464).",
            HelpName = "address:port",
        };
        var control = new Option<string?>("--control")
        {
            Description = "Serve the control socket ('flow ctl') at this path; 'none' for no socket. " +
                "Default: /run/flow/<graph>.sock as root, else $XDG_RUNTIME_DIR/flow/<graph>.sock. Refused when another running graph owns it.",
            HelpName = "path|none",
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log graph and worker events to stderr." };
        Option<string[]> set = GraphParameterOption.Create();
        var command = new Command("run", "Run a graph file until its sources are exhausted, --duration passes, or Ctrl-C (which drains and prints final stats).")
        {
            graph, duration, stats, metrics, control, verbose, set,
        };
        command.SetAction((parse, _) => RunAsync(parse.GetValue(graph)!, parse.GetValue(duration), parse.GetValue(stats), parse.GetValue(metrics),
            parse.GetValue(control), parse.GetValue(verbose), parse.GetValue(set)));
        return command;
    }

    private static async Task<int> RunAsync(string path, double? duration, bool liveStats, string? metricsAddress, string? controlPath, bool verbose,
        string[]? set)
    {
        if (!GraphParameterOption.TryParse(set, out Dictionary<string, string> parameters))
        {
            return ExitCodes.Usage;
        }
        if (duration is <= 0 or > 365 * 86400.0 || duration is double d && !double.IsFinite(d))
        {
            CliOutput.Error($"--duration must be a positive number of seconds, not {duration}");
            return ExitCodes.Usage;
        }
        IPEndPoint? metricsEndPoint = null;
        if (metricsAddress is not null)
        {
            if (!PrometheusEndpoint.TryParseLoopback(metricsAddress, out IPEndPoint parsed, out string problem))
            {
                CliOutput.Error($"--metrics: {problem}");
                return ExitCodes.MetricsUnavailable;
            }
            metricsEndPoint = parsed;
        }

        await using ServiceProvider services = FlowCliServices.Create(verbose);
        var reloader = new GraphFileReloader(services.GetRequiredService<GraphFileLoader>(), path, parameters);
        int loaded = GraphLoading.TryLoad(services, reloader, out FlowGraph? loadedGraph);
        if (loaded != ExitCodes.Success)
        {
            return loaded;
        }
        await using FlowGraph graph = loadedGraph!;
        // The 'Flow' meter: dotnet-counters monitor --counters Flow -p <pid>.
        FlowMetrics meter = services.GetRequiredService<FlowMetrics>();
        meter.Track(graph);
        foreach (string warning in graph.Warnings)
        {
            CliOutput.Error("warning: " + warning);
        }

        PrometheusEndpoint? endpoint = null;
        if (metricsEndPoint is not null)
        {
            try
            {
                endpoint = PrometheusEndpoint.Start(metricsEndPoint, graph.GetStats, services.GetRequiredService<ILoggerFactory>().CreateLogger("Flow.Metrics"),
                    graph.GetDeviceCounters);
                Console.Error.WriteLine($"flow: metrics at http://{endpoint.EndPoint}/metrics");
            }
            catch (SocketException e)
            {
                CliOutput.Error($"--metrics: cannot listen on {metricsEndPoint}: {e.Message}");
                return ExitCodes.MetricsUnavailable;
            }
        }

        // The control socket ('flow ctl'), bound before the graph starts: a graph that cannot serve it does not run.
        ControlEndpoint? control = null;
        if (controlPath != "none")
        {
            string socket = controlPath ?? ControlEndpoint.DefaultPath(Path.GetFileNameWithoutExtension(path));
            try
            {
                control = ControlEndpoint.Start(socket, graph, [.. services.GetServices<IControlCommand>(), new ReloadControlCommand(reloader)],
                    services.GetRequiredService<ILoggerFactory>().CreateLogger("Flow.Control"));
                Console.Error.WriteLine($"flow: control socket at {control.Path} (try: flow ctl --control {control.Path} commands)");
            }
            catch (ControlEndpointException e)
            {
                CliOutput.Error($"--control: {e.Message}");
                if (endpoint is not null)
                {
                    await endpoint.DisposeAsync();
                }
                return ExitCodes.ControlUnavailable;
            }
        }

        int stopRequests = 0;
        void RequestStop(string why)
        {
            bool first = Interlocked.Increment(ref stopRequests) == 1;
            _ = graph.StopAsync(drain: first);
            try
            {
                Console.Error.WriteLine(first
                    ? $"flow: {why}: stopping sources and draining (press Ctrl-C again to stop at once)"
                    : "flow: stopping at once; packets in flight are freed and counted as queued");
            }
            catch (IOException)
            {
                // The terminal hung up (SIGHUP): the stop goes on without the message.
            }
        }
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            RequestStop("interrupted");
        };
        Console.CancelKeyPress += onCancel;
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            RequestStop("terminated");
        });
        // SIGHUP re-reads the graph file, as daemons do (the same as 'flow ctl reload').
        using PosixSignalRegistration sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = ReloadOnSignalAsync(reloader);
        });
        // Ctrl-\ (SIGQUIT) would otherwise end the process on the spot, leaving an XDP program
        // attached and the control socket behind: stop as for SIGTERM.
        using PosixSignalRegistration sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context =>
        {
            context.Cancel = true;
            RequestStop("quit");
        });

        int exitCode = ExitCodes.Success;
        var clock = Stopwatch.StartNew();
        try
        {
            graph.Start();
            bool terminal = !Console.IsOutputRedirected;
            if (liveStats && terminal)
            {
                GraphStats first = graph.GetStats();
                await AnsiConsole.Live(StatsView.LiveTable(first, first, 0, TimeSpan.Zero)).AutoClear(true)
                    .StartAsync(async context => await TickAsync(graph, duration, clock, (previous, current, seconds) =>
                        context.UpdateTarget(StatsView.LiveTable(previous, current, seconds, clock.Elapsed))));
            }
            else
            {
                await TickAsync(graph, duration, clock, liveStats
                    ? (previous, current, seconds) => StatsView.WritePlain(Console.Out, previous, current, seconds, clock.Elapsed)
                    : null);
            }
            await graph.Completion;
        }
        catch (StageFaultException e)
        {
            CliOutput.Error($"stage '{e.Stage}' on worker {e.Worker} faulted: {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
            exitCode = ExitCodes.GraphFaulted;
        }
        finally
        {
            meter.Untrack(graph);
            Console.CancelKeyPress -= onCancel;
            if (endpoint is not null)
            {
                await endpoint.DisposeAsync();
            }
            if (control is not null)
            {
                await control.DisposeAsync();
            }
        }

        GraphStats final = graph.GetStats();
        if (Console.IsOutputRedirected)
        {
            StatsView.WriteFinalPlain(Console.Out, final, clock.Elapsed);
        }
        else
        {
            AnsiConsole.Write(StatsView.FinalTable(final, clock.Elapsed));
        }
        return exitCode;
    }

    /// <summary>SIGHUP: reloads the file and says on stderr what changed, or why nothing did.</summary>
    private static async Task ReloadOnSignalAsync(GraphFileReloader reloader)
    {
        string message;
        try
        {
            GraphReload reload = await reloader.ReloadAsync().ConfigureAwait(false);
            message = $"flow: SIGHUP: reloaded {reloader.Path}: {reload.Summary()}";
        }
        catch (Exception e) when (e is GraphFileException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            message = $"flow: SIGHUP: reload failed, nothing changed: {e.Message}";
        }
        try
        {
            Console.Error.WriteLine(message);
        }
        catch (IOException)
        {
            // No terminal any more: the reload happened (or not) all the same.
        }
    }

    /// <summary>Once a second until the graph completes: stats callback, and the --duration stop.</summary>
    private static async Task TickAsync(FlowGraph graph, double? duration, Stopwatch clock, Action<GraphStats, GraphStats, double>? onTick)
    {
        GraphStats previous = graph.GetStats();
        TimeSpan previousAt = clock.Elapsed;
        bool durationStopped = false;
        while (!graph.Completion.IsCompleted)
        {
            TimeSpan wait = TimeSpan.FromSeconds(1);
            if (duration is double seconds && !durationStopped)
            {
                TimeSpan left = TimeSpan.FromSeconds(seconds) - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    durationStopped = true;
                    _ = graph.StopAsync(drain: true);
                    continue;
                }
                wait = left < wait ? left : wait;
            }
            await Task.WhenAny(graph.Completion, Task.Delay(wait));
            if (onTick is not null && (clock.Elapsed - previousAt).TotalSeconds >= 0.999 && !graph.Completion.IsCompleted)
            {
                GraphStats current = graph.GetStats();
                onTick(previous, current, (clock.Elapsed - previousAt).TotalSeconds);
                previous = current;
                previousAt = clock.Elapsed;
            }
        }
    }
}
