using Xunit;

namespace Flow.Cli.Tests;

/// <summary>
/// A stage the CLI has never heard of (<see cref="TunnelTableStage"/>, from this test assembly,
/// loaded by the graph file) brings its own verbs; <c>flow ctl</c>, as a process, drives them over
/// the real control socket of a real <c>flow run</c> — the router's and the TCP stack's verbs
/// will need no CLI change either.
/// <code>
///  gen ─ tunnels (test_tunnels) ─ sink        flow ctl ──unix socket──> flow run
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
        string assembly = Path.Combine(AppContext.BaseDirectory, "Flow.Cli.Tests.dll");
        using var graph = new TempGraph($$"""
            {
              "assemblies": [{{System.Text.Json.JsonSerializer.Serialize(assembly)}}],
              "workers": [{ "id": 0, "idle": "event" }],
              "stages": {
                "gen": { "type": "generator", "config": { "rate_pps": 100 } },
                "tunnels": { "type": "test_tunnels" },
                "sink": { "type": "null_sink" }
              },
              "edges": ["gen -> tunnels", "tunnels -> sink"]
            }
            """, "tunnels.json");
        using FlowProcess flow = FlowProcess.Start("run", graph.Path, "--control", Socket);
        long deadline = Environment.TickCount64 + 60_000;
        while (!flow.Stderr.Contains($"flow: control socket at {Socket}", StringComparison.Ordinal))
        {
            Assert.True(Environment.TickCount64 < deadline, $"flow run did not open its control socket; stderr:\n{flow.Stderr}");
            await Task.Delay(20);
        }

        (int addCode, string added, string addErr) = await CtlAsync("tunnel", "add", "t0", "--peer", "192.0.2.7", "--mtu", "9000");
        Assert.True(addCode == 0, addErr);
        Assert.Equal("tunnels: tunnel t0 to 192.0.2.7, mtu 9000\n", added);
        (int secondCode, _, string secondErr) = await CtlAsync("Tunnel", "Add", "T1", "--peer=peer.example");
        Assert.True(secondCode == 0, secondErr);

        (int showCode, string shown, _) = await CtlAsync("tunnel", "show");
        Assert.Equal(0, showCode);
        Assert.Equal("""
            TUNNEL  PEER          MTU
            T1      peer.example  1400
            t0      192.0.2.7     9000
            tunnels: 2 tunnels

            """, shown);

        (int helpCode, string help, _) = await CtlAsync("help");
        Assert.Equal(0, helpCode);
        Assert.Contains("\ntunnel add   <name> --peer host [--mtu N]  Adds a tunnel to a peer.\n", help);
        (int oneCode, string one, _) = await CtlAsync("help", "tunnel", "add");
        Assert.Equal(0, oneCode);
        Assert.Equal("""
            ARGUMENT  VALUE  REQUIRED  HELP
            name      name   yes       The tunnel's name.
            --peer    host   yes       The far end's address.
            --mtu     N      no        The tunnel's MTU (default 1400).
            Adds a tunnel to a peer.
            usage: tunnel add <name> --peer host [--mtu N]
            served by: 'tunnels'

            """, one);

        (int badCode, _, string bad) = await CtlAsync("tunnel", "add", "t2", "--peer", "x", "--mtu", "100");
        Assert.Equal((9, "flow: mtu 100 is out of range 576 to 9000\n"), (badCode, bad));
        (int missingCode, _, string missing) = await CtlAsync("tunnel", "add", "t2");
        Assert.Equal((9, "flow: 'tunnel add' needs the argument 'peer' (The far end's address). Usage: tunnel add <name> --peer host [--mtu N]\n"), (missingCode, missing));
        (int typoCode, _, string typo) = await CtlAsync("tunnel", "shwo");
        Assert.Equal((9, "flow: unknown command 'tunnel shwo'; did you mean 'tunnel show'? 'tunnel' commands are: tunnel add, tunnel show\n"), (typoCode, typo));

        flow.Terminate();
        int code = await flow.WaitForExitAsync(60);
        Assert.True(code == 0, flow.Stderr);
        Assert.EndsWith("final balanced=true\n", flow.Stdout);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
