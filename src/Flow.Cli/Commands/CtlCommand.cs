using System.CommandLine;
using System.Text;
using Flow.Hosting;
using Spectre.Console;

namespace Flow.Cli;

/// <summary>
/// <c>flow ctl [--control path|name] [--stage name] [--json] &lt;command&gt;</c>: reads and changes a
/// running graph through its control socket (<see cref="ControlEndpoint"/>, served by
/// <c>flow run</c>), like <c>vppctl</c>. Each verb becomes one request; the reply is printed as a
/// table (or raw JSON with <c>--json</c>). Values are checked by the running graph, which
/// names the bad one.
/// </summary>
internal static class CtlCommand
{
    private const string Description = """
        Read and change a running graph through its control socket (every 'flow run' serves one).

        Examples (a switch graph):
          flow ctl mac show                                   the MAC table
          flow ctl mac show --vlan 10 --port host_a           ... of one VLAN and/or port
          flow ctl mac show --start 65536 --limit 500         ... the page from where the last one stopped
          flow ctl mac flush [--vlan 10] [--port host_a]      forget dynamic entries
          flow ctl mac add 02:00:00:00:00:0a --vlan 10 --port host_b    a static entry (never ages)
          flow ctl mac del 02:00:00:00:00:0a [--vlan 10]
          flow ctl port show                                  ports, VLAN modes, counters
          flow ctl port set host_c access 20                  move a port to VLAN 20
          flow ctl port set uplink trunk 10,20,30-39 --native 10
          flow ctl vlan show
        Any graph:
          flow ctl stats | stages | commands
          flow ctl call "<command>" name=value ...            a command this CLI has no verb for

        Which graph: --control <path>, or <name> for <socket dir>/<name>.sock (/run/flow as root,
        else $XDG_RUNTIME_DIR/flow). Without it: the one graph whose socket is there.
        Several switches in one graph: choose one with --stage <its l2_forwarder, mac_learner or vlan_classifier>.
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
            Recursive = true,
        };
        var stage = new Option<string?>("--stage")
        {
            Description = "When the graph has several switches: one of its stages (l2_forwarder, mac_learner or vlan_classifier) chooses it.",
            HelpName = "name",
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print the reply as the endpoint sent it (one JSON object).", Recursive = true };
        var context = new CtlOptions(control, stage, json);

        var ctl = new Command("ctl", Description) { control, stage, json };
        ctl.Subcommands.Add(Mac(context));
        ctl.Subcommands.Add(Port(context));
        ctl.Subcommands.Add(Vlan(context));
        ctl.Subcommands.Add(Simple(context, "stats", "stats", "The running graph's counters per stage (in, out, dropped by reason, consumed, queued, ns and cycles per packet) and per ring."));
        ctl.Subcommands.Add(Simple(context, "stages", "stages", "The running graph's stages: type, worker, where each output port leads."));
        ctl.Subcommands.Add(Simple(context, "commands", "help", "Every command the running graph's control socket serves (also those this CLI has no verb for)."));
        ctl.Subcommands.Add(Call(context));
        return ctl;
    }

    private sealed record CtlOptions(Option<string?> Control, Option<string?> Stage, Option<bool> Json);

    private static Command Mac(CtlOptions context)
    {
        var mac = new Command("mac", "The switch's MAC table: show, flush, add a static entry, delete an entry.");

        var showVlan = VlanOption("Only entries of this VLAN.");
        var showPort = PortOption("Only entries learned on (or placed on) this port.");
        var showStart = new Option<string?>("--start") { Description = "The table slot to list from: the one a previous page named (default 0).", HelpName = "slot" };
        var showLimit = new Option<string?>("--limit") { Description = "Most rows of this page (default 1000, at most 10000).", HelpName = "N" };
        var show = new Command("show", "List the MAC table a page at a time: MAC, VLAN, port, static/dynamic, age.") { showVlan, showPort, showStart, showLimit };
        show.SetAction((parse, token) => SendAsync(parse, context, "mac show", token, ("vlan", parse.GetValue(showVlan)), ("port", parse.GetValue(showPort)),
            ("start", parse.GetValue(showStart)), ("limit", parse.GetValue(showLimit))));

        var flushVlan = VlanOption("Only entries of this VLAN.");
        var flushPort = PortOption("Only entries on this port.");
        var flush = new Command("flush", "Remove dynamic entries (all, or of a VLAN and/or port); traffic relearns them. Static entries stay.") { flushVlan, flushPort };
        flush.SetAction((parse, token) => SendAsync(parse, context, "mac flush", token, ("vlan", parse.GetValue(flushVlan)), ("port", parse.GetValue(flushPort))));

        var addMac = new Argument<string>("mac") { Description = "The address, e.g. 02:00:00:00:00:0a." };
        var addVlan = VlanOption("The VLAN the entry is in (required).");
        addVlan.Required = true;
        var addPort = PortOption("The port frames to the address leave by (required).");
        addPort.Required = true;
        var add = new Command("add", "Add a static entry: frames to <mac> in the VLAN go to the port; it never ages or moves.") { addMac, addVlan, addPort };
        add.SetAction((parse, token) => SendAsync(parse, context, "mac add", token,
            ("mac", parse.GetValue(addMac)), ("vlan", parse.GetValue(addVlan)), ("port", parse.GetValue(addPort))));

        var delMac = new Argument<string>("mac") { Description = "The address, e.g. 02:00:00:00:00:0a." };
        var delVlan = VlanOption("Only in this VLAN (default: every VLAN).");
        var del = new Command("del", "Remove the entry (static or dynamic) of an address.") { delMac, delVlan };
        del.SetAction((parse, token) => SendAsync(parse, context, "mac del", token, ("mac", parse.GetValue(delMac)), ("vlan", parse.GetValue(delVlan))));

        mac.Subcommands.Add(show);
        mac.Subcommands.Add(flush);
        mac.Subcommands.Add(add);
        mac.Subcommands.Add(del);
        return mac;
    }

    private static Command Port(CtlOptions context)
    {
        var port = new Command("port", "The switch's ports: show them, change a port's VLAN mode.");
        var show = new Command("show", "List the ports: id, mode, VLANs, native VLAN, frames received, dropped, sent unicast and flooded.");
        show.SetAction((parse, token) => SendAsync(parse, context, "port show", token));

        var name = new Argument<string>("port") { Description = "The port's name (see 'flow ctl port show')." };
        var mode = new Argument<string>("mode") { Description = "access or trunk." };
        mode.AcceptOnlyFromAmong("access", "trunk");
        var vlans = new Argument<string>("vlans")
        {
            Description = "access: the port's VLAN (e.g. 20). trunk: the VLANs it carries tagged, e.g. 10,20,30-39, or all.",
        };
        var native = new Option<string?>("--native")
        {
            Description = "trunk: the VLAN of untagged frames (sent untagged). Default: none; untagged frames are dropped.",
            HelpName = "vlan",
        };
        var set = new Command("set", "Change a port's VLAN mode: 'port set <port> access <vlan>' or 'port set <port> trunk <vlans> [--native N]'. " +
            "The port's dynamic MAC entries are flushed.") { name, mode, vlans, native };
        set.SetAction((parse, token) =>
        {
            bool access = parse.GetValue(mode) == "access";
            return SendAsync(parse, context, "port set", token, ("port", parse.GetValue(name)), ("mode", parse.GetValue(mode)),
                (access ? "vlan" : "vlans", parse.GetValue(vlans)), ("native", parse.GetValue(native)));
        });
        port.Subcommands.Add(show);
        port.Subcommands.Add(set);
        return port;
    }

    private static Command Vlan(CtlOptions context)
    {
        var vlan = new Command("vlan", "The switch's VLANs.");
        var show = new Command("show", "Per-VLAN counters (frames received, unicast, flooded, flood copies, dropped) and each VLAN's ports.");
        show.SetAction((parse, token) => SendAsync(parse, context, "vlan show", token));
        vlan.Subcommands.Add(show);
        return vlan;
    }

    private static Command Simple(CtlOptions context, string verb, string command, string description)
    {
        var simple = new Command(verb, description);
        simple.SetAction((parse, token) => SendAsync(parse, context, command, token));
        return simple;
    }

    private static Command Call(CtlOptions context)
    {
        var command = new Argument<string>("command") { Description = "The command's name, quoted when it has several words (see 'flow ctl commands')." };
        var arguments = new Argument<string[]>("name=value") { Description = "Its arguments.", Arity = ArgumentArity.ZeroOrMore };
        var call = new Command("call", "Send any command the graph serves, with name=value arguments.") { command, arguments };
        call.SetAction((parse, token) =>
        {
            var pairs = new List<(string, string?)>();
            foreach (string argument in parse.GetValue(arguments) ?? [])
            {
                int equals = argument.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    CliOutput.Error($"'{argument}' is not name=value");
                    return Task.FromResult(ExitCodes.Usage);
                }
                pairs.Add((argument[..equals], argument[(equals + 1)..]));
            }
            return SendAsync(parse, context, parse.GetValue(command)!, token, pairs.ToArray());
        });
        return call;
    }

    private static Option<string?> VlanOption(string description) => new("--vlan") { Description = description, HelpName = "N" };

    private static Option<string?> PortOption(string description) => new("--port") { Description = description, HelpName = "name" };

    private static async Task<int> SendAsync(ParseResult parse, CtlOptions context, string command, CancellationToken token,
        params (string Name, string? Value)[] arguments)
    {
        if (!TryResolveSocket(parse.GetValue(context.Control), out string socket, out string problem))
        {
            CliOutput.Error(problem);
            return ExitCodes.ControlUnavailable;
        }
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string? value) in arguments)
        {
            if (value is not null)
            {
                args[name] = value;
            }
        }
        ControlResponse reply;
        try
        {
            await using ControlClient client = await ControlClient.ConnectAsync(socket, token);
            reply = await client.SendAsync(command, args, parse.GetValue(context.Stage), token).WaitAsync(TimeSpan.FromSeconds(30), token);
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
        if (parse.GetValue(context.Json))
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
