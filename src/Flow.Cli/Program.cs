using System.CommandLine;

namespace Flow.Cli;

/// <summary>The <c>flow</c> command: run, validate and draw graph files; list stage types; read a running graph's stats.</summary>
internal static class Program
{
    private const string Description = """
        Flow: user-space packet processing graphs.

        Quick start:
          sudo flow demo switch                      (a VLAN switch between four namespaced hosts)
          flow validate pipelines/generator_demo.json
          flow run pipelines/generator_demo.json --duration 5 --stats
          flow graph pipelines/generator_demo.json --format dot | dot -Tsvg > graph.svg
          flow stages
          flow ctl stats                  (while 'flow run' runs: read and change the running graph)

        Graph files are JSON: docs/graph-format.md.
        Exit codes: 0 ok, 1 a stage faulted while running, 2 bad command line, 3 file missing or unreadable,
        4 graph file not valid, 5 metrics endpoint unavailable, 6 a demo needs root or a tool, 7 a demo misbehaved,
        8 control socket unavailable, 9 the running graph refused a 'flow ctl' command, 70 internal error.
        """;

    private static async Task<int> Main(string[] args)
    {
        var root = new RootCommand(Description)
        {
            RunCommand.Create(),
            CtlCommand.Create(),
            ValidateCommand.Create(),
            GraphCommand.Create(),
            StagesCommand.Create(),
            StatsCommand.Create(),
            DemoCommand.Create(),
        };
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
            {
                CliOutput.Error(error.Message);
            }
            string verb = "";
            for (System.CommandLine.Parsing.CommandResult? c = parse.CommandResult; c is not null && c.Command != root; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            {
                verb = " " + c.Command.Name + verb;
            }
            Console.Error.WriteLine($"Run 'flow{verb} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            // Ctrl-C and SIGTERM are handled by 'flow run' itself (drain, then final stats).
            return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            CliOutput.Error($"internal error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("FLOW_CLI_STACKTRACE") == "1")
            {
                Console.Error.WriteLine(e);
            }
            else
            {
                Console.Error.WriteLine("flow: set FLOW_CLI_STACKTRACE=1 to see where; please report it.");
            }
            return ExitCodes.InternalError;
        }
    }
}
