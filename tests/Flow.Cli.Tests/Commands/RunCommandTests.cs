using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Flow.Cli.Tests;

public sealed class RunCommandTests
{
    private const string Endless = """
        {
          "workers": [{ "id": 0, "idle": "spin_then_sleep" }],
          "stages": {
            "gen": { "type": "generator", "config": { "rate_pps": 200000 } },
            "count": { "type": "counter" },
            "sink": { "type": "null_sink" }
          },
          "edges": ["gen -> count", "count -> sink"]
        }
        """;

    [Fact]
    public async Task FiniteGraphRunsToTheEndAndPrintsBalancedFinalStats()
    {
        using var graph = new TempGraph("""
            {
              "stages": {
                "gen": { "type": "generator", "config": { "count": 2000 } },
                "drop": { "type": "drop" }
              },
              "edges": ["gen -> drop"]
            }
            """);

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "run", graph.Path);

        Assert.True(code == 0, stderr);
        Assert.Contains("final stage=gen type=generator in=2000 out=2000 dropped=0 consumed=0 queued=0 ", stdout);
        Assert.Contains("final stage=drop type=drop in=2000 out=0 dropped=2000 consumed=0 queued=0 ", stdout);
        Assert.Contains(" drop.dropped=2000\n", stdout);
        Assert.EndsWith("final balanced=true\n", stdout);
    }

    [Fact]
    public async Task DurationStopsAnEndlessGraphWithPlainStatsLinesWhenRedirected()
    {
        using var graph = new TempGraph(Endless);

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "run", graph.Path, "--duration", "2.5", "--stats");

        Assert.True(code == 0, stderr);
        // The first stats line is labelled with the second it was printed in: t=1s, or t=2s on a loaded machine.
        Assert.Matches(@"t=[12]s stage=gen type=generator in_pps=", stdout);
        Assert.Matches(@"t=[12]s worker=0 busy_ratio=", stdout);
        Assert.Matches(@"final stage=sink type=null_sink in=(\d+) out=0 dropped=0 consumed=\1 queued=0 ", stdout);
        Assert.EndsWith("final balanced=true\n", stdout);
    }

    [Fact]
    public async Task AShardedGraphsStatsShowEachCopyThenTheCopiesSummed()
    {
        using var graph = new TempGraph("""
            {
              "shards": 2,
              "workers": [{ "id": 0, "idle": "yielding" }],
              "stages": {
                "gen": { "type": "generator", "config": { "count": 3000 } },
                "count": { "type": "counter" },
                "sink": { "type": "null_sink" }
              },
              "edges": ["gen -> count", "count -> sink"]
            }
            """);

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "run", graph.Path);

        Assert.True(code == 0, stderr);
        Assert.Contains("final stage=count@0 type=counter in=3000 out=3000 ", stdout);
        Assert.Contains("final stage=count@1 type=counter in=3000 out=3000 ", stdout);
        Assert.Contains("final stage=count shards=all type=counter in=6000 out=6000 ", stdout);
        // The sum follows its last copy.
        Assert.True(stdout.IndexOf("stage=count shards=all", StringComparison.Ordinal) > stdout.IndexOf("stage=count@1 ", StringComparison.Ordinal), stdout);
        Assert.EndsWith("final balanced=true\n", stdout);
    }

    [Fact]
    public async Task SigtermDrainsAndPrintsFinalStats()
    {
        using var graph = new TempGraph(Endless);
        using FlowProcess flow = FlowProcess.Start("run", graph.Path, "--stats");
        await flow.WaitForStdoutAsync(" stage=sink type=null_sink"); // the first stats line, whichever second it is labelled (a loaded machine can print t=2s first)

        flow.Terminate();
        int code = await flow.WaitForExitAsync(60);

        Assert.True(code == 0, flow.Stderr);
        Assert.Contains("flow: terminated: stopping sources and draining", flow.Stderr);
        Assert.Matches(@"final stage=count type=counter in=(\d+) out=\1 dropped=0 consumed=0 queued=0 ", flow.Stdout);
        Assert.EndsWith("final balanced=true\n", flow.Stdout);
    }

    /// <summary>SIGQUIT (Ctrl-\) stops like SIGTERM: drained, and the control socket removed.</summary>
    [Fact]
    public async Task QuitDrainsAndRemovesTheControlSocket()
    {
        using var graph = new TempGraph(Endless, "signal3.json");
        string socket = Path.Combine(FlowProcess.ControlDirectory, "signal3.sock");
        using FlowProcess flow = FlowProcess.Start("run", graph.Path, "--stats");
        await flow.WaitForStdoutAsync(" stage=sink type=null_sink"); // the first stats line, whichever second it is labelled (a loaded machine can print t=2s first)
        Assert.True(File.Exists(socket), flow.Stderr);

        flow.Signal(3);
        int code = await flow.WaitForExitAsync(60);

        Assert.True(code == 0, flow.Stderr);
        Assert.Contains("flow: quit: stopping sources and draining", flow.Stderr);
        Assert.EndsWith("final balanced=true\n", flow.Stdout);
        Assert.False(File.Exists(socket), "flow run left its control socket behind");
    }

    /// <summary>
    /// SIGHUP and 'flow ctl reload' re-read the file: a stage added and removed while the
    /// generator and the counter keep running (their counts carry on); a broken file changes
    /// nothing and says why.
    /// </summary>
    [Fact]
    public async Task SighupAndCtlReloadApplyTheChangedFileAndABrokenOneChangesNothing()
    {
        using var graph = new TempGraph(Endless, "reload.json");
        string socket = Path.Combine(FlowProcess.ControlDirectory, "reload.sock");
        using FlowProcess flow = FlowProcess.Start("run", graph.Path, "--stats");
        await flow.WaitForStdoutAsync(" stage=sink type=null_sink"); // running: the signal handlers are in place

        File.WriteAllText(graph.Path, Endless.Replace("\"sink\": { \"type\": \"null_sink\" }", "\"sink\": { \"type\": \"null_sink\" }, \"second\": { \"type\": \"counter\" }")
            .Replace("\"count -> sink\"", "\"count -> second\", \"second -> sink\""));
        flow.Signal(1);
        await flow.WaitForStderrAsync("flow: SIGHUP: reloaded ");
        Assert.Contains("kept 3, reconfigured 0, replaced 0, added 1, removed 0 stages; 0 packets lost", flow.Stderr);
        Assert.Contains("added: second", flow.Stderr);
        (int statsCode, string stats, string statsErr) = await FlowProcess.RunAsync(60, "ctl", "--control", socket, "stats");
        Assert.True(statsCode == 0, statsErr);
        Assert.Contains("second", stats);

        File.WriteAllText(graph.Path, "{ \"stages\": { \"gen\": { \"type\": \"generator\", \"config\": { \"rate_ppz\": 5 } } } }");
        (int brokenCode, string brokenOut, string brokenErr) = await FlowProcess.RunAsync(60, "ctl", "--control", socket, "reload");
        Assert.NotEqual(0, brokenCode);
        Assert.Contains("nothing changed", brokenOut + brokenErr);
        Assert.Contains("rate_ppz", brokenOut + brokenErr);

        using var original = new TempGraph(Endless, "original.json");
        (int backCode, string backOut, string backErr) = await FlowProcess.RunAsync(60, "ctl", "--control", socket, "reload", original.Path);
        Assert.True(backCode == 0, backErr);
        Assert.Contains("removed: second", backOut);

        flow.Terminate();
        int code = await flow.WaitForExitAsync(60);
        Assert.True(code == 0, flow.Stderr);
        Assert.DoesNotContain("final stage=second", flow.Stdout);
        // The generator and the counter ran all along: one count of everything, and balanced.
        Assert.Matches(@"final stage=count type=counter in=(\d+) out=\1 dropped=0 consumed=0 queued=0 ", flow.Stdout);
        Assert.Matches(@"final stage=gen type=generator in=(\d+) out=\1 ", flow.Stdout);
        Assert.EndsWith("final balanced=true\n", flow.Stdout);
    }

    [Fact]
    public async Task MetricsEndpointAndStatsVerbReadTheRunningGraph()
    {
        int port = FreeLoopbackPort();
        using var graph = new TempGraph(Endless);
        using FlowProcess flow = FlowProcess.Start("run", graph.Path, "--duration", "30", "--stats", "--metrics", $"127.0.0.1:{port}");
        await flow.WaitForStdoutAsync(" stage=sink type=null_sink"); // the first stats line, whichever second it is labelled (a loaded machine can print t=2s first)

        using var http = new HttpClient();
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        (int statsCode, string statsOut, string statsErr) = await FlowProcess.RunAsync(60, "stats", $"127.0.0.1:{port}");
        flow.Terminate();
        int code = await flow.WaitForExitAsync(60);

        Assert.Matches(@"flow_stage_packets_total\{stage=""count"",type=""counter"",port=""out""\} [1-9]\d*\n", metrics);
        Assert.Contains("flow_worker_busy_ratio{worker=\"0\",cpu=\"any\"} ", metrics);
        Assert.True(statsCode == 0, statsErr);
        Assert.Contains("count", statsOut);
        Assert.Contains("null_sink", statsOut);
        Assert.True(code == 0, flow.Stderr);
        Assert.EndsWith("final balanced=true\n", flow.Stdout);
    }

    [Fact]
    public async Task MetricsOnANonLoopbackAddressExitsFive()
    {
        (int code, _, string stderr) = await FlowProcess.RunAsync(60, "run", "pipelines/generator_demo.json", "--metrics", "0.0.0.0:9464");
        Assert.Equal(5, code);
        Assert.Equal("flow: --metrics: '0.0.0.0:9464' is not a loopback address; the metrics endpoint binds to 127.0.0.0/8 or [::1] only\n", stderr);
    }

    [Fact]
    public async Task StageFaultExitsOneWithAMessageAndNoStackTrace()
    {
        string assembly = Path.Combine(AppContext.BaseDirectory, "Flow.Cli.Tests.dll");
        using var graph = new TempGraph($$"""
            {
              "assemblies": [{{System.Text.Json.JsonSerializer.Serialize(assembly)}}],
              "stages": {
                "gen": { "type": "generator", "config": { "count": 100 } },
                "bad": { "type": "faulty" }
              },
              "edges": ["gen -> bad"]
            }
            """);

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "run", graph.Path);

        Assert.Equal(1, code);
        Assert.Contains("flow: stage 'bad' on worker 0 faulted: InvalidOperationException: boom\n", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Contains("final stage=bad type=faulty in=", stdout);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
