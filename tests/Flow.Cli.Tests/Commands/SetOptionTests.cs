using Xunit;

namespace Flow.Cli.Tests;

/// <summary><c>--set name=value</c> on run, validate and graph: graph parameters from the command line.</summary>
public sealed class SetOptionTests
{
    private const string Parameterized = """
        {
          "parameters": { "count": 100, "sink": { "type": "null_sink" } },
          "stages": {
            "gen":  { "type": "generator", "config": { "count": "${count}" } },
            "sink": "${sink}"
          },
          "edges": ["gen -> sink"]
        }
        """;

    [Fact]
    public async Task RunTakesParameterOverrides()
    {
        using var graph = new TempGraph(Parameterized);
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "run", graph.Path, "--set", "count=2500", "--set", "sink.type=counter_sink_missing");
        Assert.Equal(4, code);
        Assert.Contains("unknown stage type 'counter_sink_missing'", stderr);

        (code, stdout, stderr) = await FlowProcess.RunAsync(60, "run", graph.Path, "--set", "count=2500");
        Assert.True(code == 0, stderr);
        Assert.Contains("final stage=sink type=null_sink in=2500 out=0 dropped=0 consumed=2500 queued=0 ", stdout);
        Assert.Contains("final balanced=true", stdout);
    }

    [Fact]
    public async Task ValidateNamesAnOverrideOfAnUndeclaredParameter()
    {
        (int code, _, string stderr) = await FlowProcess.RunAsync(60, "validate", "pipelines/switch.json", "--set", "backnd=tap");
        Assert.Equal(4, code);
        Assert.Contains("$.parameters: override 'backnd=tap': no parameter 'backnd' is declared (did you mean 'backend'?)", stderr);
    }

    [Fact]
    public async Task GraphDrawsTheSwitchWithTheBackendChosenOnTheCommandLine()
    {
        // The whole port replaced: loop takes neither 'interface' nor memif's keys.
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "graph", "pipelines/switch.json",
            "--set", "p4={\"backend\": \"loop\", \"loop\": {\"wire\": \"uplink\"}}");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"p4_rx\" [label=\"p4_rx\\nloop_rx\"];", stdout);
        Assert.Contains("\"p1_rx\" [label=\"p1_rx\\nmemif_rx\"];", stdout);
    }

    [Fact]
    public async Task ASetWithoutAnEqualsSignIsAUsageError()
    {
        (int code, _, string stderr) = await FlowProcess.RunAsync(60, "validate", "pipelines/switch.json", "--set", "backend");
        Assert.Equal(2, code);
        Assert.Contains("--set 'backend': expected name=value", stderr);
    }
}
