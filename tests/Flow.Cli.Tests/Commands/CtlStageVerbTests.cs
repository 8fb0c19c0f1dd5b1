using Flow.TestKit;
using Xunit;

namespace Flow.Cli.Tests;

/// <summary>
/// A stage the CLI has never heard of (TestKit's <see cref="RouteTableStage"/>, loaded by the graph
/// file from Flow.TestKit.dll) brings its own verbs; <c>flow ctl</c>, as a process, drives them over
/// the real control socket of a real <c>flow run</c> — the router's and the TCP stack's verbs need
/// no CLI change either.
/// <code>
///  gen ─ routes (test_routes) ─ sink        flow ctl ──unix socket──> flow run
/// </code>
/// </summary>
public sealed class CtlStageVerbTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowctl-").FullName;

    private string Socket => Path.Combine(_directory, "t.sock");

    private Task<(int ExitCode, string Stdout, string Stderr)> CtlAsync(params string[] args) =>
        FlowProcess.RunAsync(60, ["ctl", "--control", Socket, .. args]);

    [Fact]
    public async Task AUserStagesOwnVerbsRunThroughFlowCtlWithNoCliChange()
    {
        string assembly = Path.Combine(AppContext.BaseDirectory, "Flow.TestKit.dll");
        using var graph = new TempGraph($$"""
            {
              "assemblies": [{{System.Text.Json.JsonSerializer.Serialize(assembly)}}],
              "workers": [{ "id": 0, "idle": "event" }],
              "stages": {
                "gen": { "type": "generator", "config": { "rate_pps": 100 } },
                "routes": { "type": "test_routes" },
                "sink": { "type": "null_sink" }
              },
              "edges": ["gen -> routes", "routes -> sink"]
            }
            """, "routes.json");
        using FlowProcess flow = FlowProcess.Start("run", graph.Path, "--control", Socket);
        await flow.WaitForStderrAsync($"flow: control socket at {Socket}");

        (int addCode, string added, string addErr) = await CtlAsync("route", "add", "10.0.0.0/8", "--via", "192.0.2.1", "--metric", "5");
        Assert.True(addCode == 0, addErr);
        Assert.Equal("routes: 10.0.0.0/8 via 192.0.2.1 metric 5 (on flow-worker-0)\n", added);
        (int secondCode, _, string secondErr) = await CtlAsync("Route", "Add", "192.168.0.0/16", "--via=gw");
        Assert.True(secondCode == 0, secondErr);

        (int showCode, string shown, _) = await CtlAsync("route", "show");
        Assert.Equal(0, showCode);
        Assert.Equal("""
            PREFIX          VIA        METRIC
            10.0.0.0/8      192.0.2.1  5
            192.168.0.0/16  gw         0
            routes: 2 routes

            """, shown);

        (int helpCode, string help, _) = await CtlAsync("help");
        Assert.Equal(0, helpCode);
        // Column widths follow the longest command and usage the graph offers (the built-in capture verbs).
        Assert.Matches(@"\nroute add +<prefix> --via ip \[--metric N\] +Adds a route: packets to the prefix go via the next hop\.\n", help);
        (int oneCode, string one, _) = await CtlAsync("help", "route", "add");
        Assert.Equal(0, oneCode);
        Assert.Equal("""
            ARGUMENT  VALUE        REQUIRED  HELP
            prefix    a.b.c.d/len  yes       The destination prefix.
            --via     ip           yes       The next hop's address.
            --metric  N            no        The route's metric (default 0).
            Adds a route: packets to the prefix go via the next hop.
            usage: route add <prefix> --via ip [--metric N]
            served by: 'routes'

            """, one);

        (int delCode, string deleted, _) = await CtlAsync("route", "del", "10.0.0.0/8");
        Assert.Equal((0, "removed 10.0.0.0/8\n"), (delCode, deleted));
        (int againCode, _, string again) = await CtlAsync("route", "del", "10.0.0.0/8");
        Assert.Equal((9, "flow: no route to 10.0.0.0/8\n"), (againCode, again));
        (int badCode, _, string bad) = await CtlAsync("route", "add", "10.1.0.0/16", "--via", "x", "--metric", "256");
        Assert.Equal((9, "flow: metric 256 is out of range 0 to 255\n"), (badCode, bad));
        (int prefixCode, _, string badPrefix) = await CtlAsync("route", "add", "10.1.0.0/33", "--via", "x");
        Assert.Equal((9, "flow: prefix '10.1.0.0/33' is not an IPv4 prefix such as 10.0.0.0/8\n"), (prefixCode, badPrefix));
        (int missingCode, _, string missing) = await CtlAsync("route", "add", "10.1.0.0/16");
        Assert.Equal((9, "flow: 'route add' needs the argument 'via' (The next hop's address). Usage: route add <prefix> --via ip [--metric N]\n"), (missingCode, missing));
        (int typoCode, _, string typo) = await CtlAsync("route", "shwo");
        Assert.Equal((9, "flow: unknown command 'route shwo'; did you mean 'route show'? 'route' commands are: route add, route del, route show\n"), (typoCode, typo));

        flow.Terminate();
        int code = await flow.WaitForExitAsync(60);
        Assert.True(code == 0, flow.Stderr);
        Assert.EndsWith("final balanced=true\n", flow.Stdout);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
