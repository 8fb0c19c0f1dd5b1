using System.CommandLine;
using System.Text;
using Flow.Hosting;
using Spectre.Console;

namespace Flow.Cli;

/// <summary>
/// <c>flow ctl [--control path|name] [--stage name] [--json] &lt;words...&gt; [--name value ...]</c>:
/// reads and changes a running graph through its control socket (<see cref="ControlEndpoint"/>,
/// served by <c>flow run</c>), like <c>vppctl</c>. The words and arguments go to the graph as
/// typed (<see cref="CtlLine"/>); the graph finds the command, maps positional words to its
/// declared arguments and checks them, so this CLI knows no stage's verbs — <c>flow ctl help</c>
/// asks the running graph what it offers. The reply is printed as a table (or raw JSON with
/// <c>--json</c>).
/// </summary>
internal static class CtlCommand
{
    private const string Description = """
        Read and change a running graph through its control socket (every 'flow run' serves one).
        The words name a command of the running graph, then its positional arguments; --name value
        gives the others. The graph checks them and names any bad value.

        Examples:
          flow ctl help                                   what this graph offers: each command with its arguments
          flow ctl help mac add                           one command's arguments
          flow ctl stats | stages                         counters; stages and where their ports lead
        A switch graph's commands, for instance:
          flow ctl mac show --vlan 10 --port host_a
          flow ctl mac add 02:00:00:00:00:0a --vlan 10 --port host_b
          flow ctl port set uplink trunk 10,20,30-39 --native 10

        Which graph: --control <path>, or <name> for <socket dir>/<name>.sock (/run/flow as root,
        else $XDG_RUNTIME_DIR/flow). Without it: the one graph whose socket is there.
        Several stages serving one command (two switches, say): choose one with --stage <name>.
        --control, --stage and --json belong to flow ctl, so no command's argument has those names.
        Exit codes: 0 done, 2 bad command line, 8 no running graph answers at the socket,
        9 the graph refused the command (the message names the bad value), 70 the command failed inside the graph.
        Protocol (JSON lines, usable with socat): docs/control.md.
        """;

    public static Command Create()
    {
        var control = new Option<string?>("--control", "-c")
        {
            Description = "The graph's control socket: a path, or a name for <socket dir>/<name>.sock. Default: the only socket in the socket dir.",
            HelpName = "path|name",
        };
        var stage = new Option<string?>("--stage")
        {
            Description = "When several stages serve the command (two switches, say): the one to act on.",
            HelpName = "name",
        };
        var json = new Option<bool>("--json") { Description = "Print the reply as the endpoint sent it (one JSON object)." };
        var line = new Argument<string[]>("words")
        {
            Description = "The command's words, its positional arguments, and --name value arguments ('flow ctl help' lists them).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var ctl = new Command("ctl", Description) { control, stage, json, line };
        ctl.TreatUnmatchedTokensAsErrors = false;
        ctl.SetAction((parse, token) =>
        {
            string[] tokens = [.. parse.GetValue(line) ?? [], .. parse.UnmatchedTokens];
            if (!CtlLine.TryParse(tokens, out CtlLine? request, out string problem))
            {
                CliOutput.Error(problem);
                return Task.FromResult(ExitCodes.Usage);
            }
            return SendAsync(request!, parse.GetValue(control), parse.GetValue(stage), parse.GetValue(json), token);
        });
        return ctl;
    }

    private static async Task<int> SendAsync(CtlLine line, string? control, string? stage, bool json, CancellationToken token)
    {
        if (!TryResolveSocket(control, out string socket, out string problem))
        {
            CliOutput.Error(problem);
            return ExitCodes.ControlUnavailable;
        }
        ControlResponse reply;
        try
        {
            await using ControlClient client = await ControlClient.ConnectAsync(socket, token);
            reply = await client.SendWordsAsync(line.Words, line.Arguments, stage, token).WaitAsync(TimeSpan.FromSeconds(30), token);
        }
        catch (ControlEndpointException e)
        {
            CliOutput.Error($"{e.Message} — is 'flow run' running?");
            return ExitCodes.ControlUnavailable;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            CliOutput.Error($"control socket '{socket}': {e.Message}");
            return ExitCodes.ControlUnavailable;
        }
        if (json)
        {
            Console.Out.WriteLine(reply.Json);
        }
        else if (reply.Ok)
        {
            Print(reply);
        }
        if (!reply.Ok)
        {
            CliOutput.Error(reply.Message ?? reply.Error ?? "the command failed");
            return reply.Error switch
            {
                ControlErrors.Failed => ExitCodes.InternalError,
                ControlErrors.Timeout or ControlErrors.Busy => ExitCodes.ControlUnavailable,
                _ => ExitCodes.ControlRefused,
            };
        }
        return ExitCodes.Success;
    }

    /// <summary>A path, a name in the socket directory, or (none given) the one live socket there.</summary>
    private static bool TryResolveSocket(string? control, out string socket, out string problem)
    {
        problem = "";
        if (control is not null)
        {
            socket = control.Contains('/', StringComparison.Ordinal) || control.EndsWith(".sock", StringComparison.Ordinal)
                ? control
                : ControlEndpoint.DefaultPath(control);
            return true;
        }
        socket = "";
        string directory = ControlEndpoint.DefaultDirectory;
        string[] sockets = Directory.Exists(directory) ? Directory.GetFiles(directory, "*.sock").Order(StringComparer.Ordinal).ToArray() : [];
        string[] live = sockets.Where(IsLive).ToArray();
        if (live.Length == 1)
        {
            socket = live[0];
            return true;
        }
        problem = live.Length == 0
            ? $"no running graph: no live control socket in {directory}. Start one with 'flow run <graph.json>', or give its socket with --control <path>"
            : $"{live.Length} graphs are running ({string.Join(", ", live.Select(Path.GetFileNameWithoutExtension))}); choose one with --control <name>";
        return false;
    }

    private static bool IsLive(string path)
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
            System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static void Print(ControlResponse reply)
    {
        if (reply.Columns.Count > 0)
        {
            if (Console.IsOutputRedirected)
            {
                Console.Out.Write(PlainTable(reply));
            }
            else
            {
                var table = new Table().Border(TableBorder.Rounded);
                foreach (string column in reply.Columns)
                {
                    table.AddColumn(Markup.Escape(column));
                }
                foreach (IReadOnlyList<string> row in reply.Rows)
                {
                    table.AddRow(row.Select(Markup.Escape).ToArray());
                }
                AnsiConsole.Write(table);
            }
        }
        if (reply.Message is not null)
        {
            Console.Out.WriteLine(reply.Message);
        }
    }

    /// <summary>Columns padded to their widest cell, two spaces apart: easy to read and to grep.</summary>
    private static string PlainTable(ControlResponse reply)
    {
        int[] widths = reply.Columns.Select((c, i) => Math.Max(c.Length, reply.Rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            var line = new StringBuilder();
            for (int i = 0; i < cells.Count; i++)
            {
                line.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
        Line(reply.Columns.Select(c => c.ToUpperInvariant()).ToList());
        foreach (IReadOnlyList<string> row in reply.Rows)
        {
            Line(row);
        }
        return text.ToString();
    }
}
