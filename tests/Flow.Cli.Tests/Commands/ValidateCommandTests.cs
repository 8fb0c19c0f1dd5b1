using Xunit;

namespace Flow.Cli.Tests;

public sealed class ValidateCommandTests
{
    [Fact]
    public async Task EveryPipelineIsValid()
    {
        string[] files = Directory.GetFiles(Path.Combine(FlowProcess.RepositoryRoot, "pipelines"), "*.json")
            .Select(f => Path.GetRelativePath(FlowProcess.RepositoryRoot, f)).Order(StringComparer.Ordinal).ToArray();
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, ["validate", .. files]);
        Assert.True(code == 0, stderr);
        foreach (string file in files)
        {
            Assert.Contains($"{file}: valid (", stdout);
        }
    }

    [Fact]
    public async Task BadFilePrintsEveryErrorWithPositionAndExitsFour()
    {
        using var graph = new TempGraph("""
            {
              "stages": {
                "gen": { "type": "generatr" },
                "count": { "type": "counter", "config": { "verbose": true } },
                "sink": { "type": "null_sink" }
              },
              "edges": ["gen -> count", "count -> sink"]
            }
            """, "bad.json");

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "validate", graph.Path);

        Assert.Equal(4, code);
        Assert.Equal("", stdout);
        // The list of known types grows with every backend; the rest of each line is exact.
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"{graph.Path}:3:22: $.stages.gen.type: unknown stage type 'generatr' (did you mean 'generator'?); expected one of: ", lines[0]);
        Assert.Contains(" channel_sink, channel_source, counter, drop, generator, ", lines[0]);
        Assert.EndsWith(". Stage types come from registered backends and from 'assemblies'", lines[0]);
        Assert.Equal($"{graph.Path}:4:47: $.stages.count.config.verbose: unknown config key 'verbose' for stage type 'counter'; expected one of: (none: this stage type takes no config keys)", lines[1]);
        Assert.Equal($"flow: {graph.Path} is not a valid graph file (2 errors)", lines[2]);
    }

    [Fact]
    public async Task MissingFileExitsThree()
    {
        (int code, _, string stderr) = await FlowProcess.RunAsync(60, "validate", "no/such/graph.json");
        Assert.Equal(3, code);
        Assert.Equal("flow: 'no/such/graph.json' does not exist\n", stderr);
    }

    [Fact]
    public async Task UnknownVerbExitsTwoWithoutAStackTrace()
    {
        (int code, _, string stderr) = await FlowProcess.RunAsync(60, "valdate", "x.json");
        Assert.Equal(2, code);
        Assert.Contains("flow: Unrecognized command or argument 'valdate'.", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}
