using Xunit;

namespace Flow.Cli.Tests;

public sealed class GraphCommandTests
{
    public static TheoryData<string> Pipelines()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(FlowProcess.RepositoryRoot, "pipelines"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public async Task CheckedInDotIsWhatFlowGraphPrints(string name)
    {
        string dot = Path.Combine(FlowProcess.RepositoryRoot, "pipelines", name + ".dot");
        Assert.True(File.Exists(dot), $"pipelines/{name}.dot is missing: run 'flow graph pipelines/{name}.json --format dot -o pipelines/{name}.dot'");

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "graph", $"pipelines/{name}.json", "--format", "dot");

        Assert.True(code == 0, stderr);
        Assert.True(File.ReadAllText(dot) == stdout,
            $"pipelines/{name}.dot is stale: run 'flow graph pipelines/{name}.json --format dot -o pipelines/{name}.dot'");
    }

    [Fact]
    public async Task MermaidShowsWorkersStagesAndRingEdges()
    {
        using var graph = new TempGraph("""
            {
              "workers": [{ "id": 0, "idle": "yielding" }, { "id": 1, "idle": "yielding" }],
              "stages": {
                "gen": { "type": "generator", "worker": 0 },
                "sink": { "type": "null_sink", "worker": 1 }
              },
              "edges": [{ "from": "gen", "to": "sink", "ring_capacity": 256 }]
            }
            """, "two.json");

        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, "graph", graph.Path, "--format", "mermaid");

        Assert.True(code == 0, stderr);
        Assert.Equal("""
            ---
            title: two
            ---
            flowchart LR
              subgraph worker0["worker 0"]
                s0["gen<br/><i>generator</i>"]
              end
              subgraph worker1["worker 1"]
                s1["sink<br/><i>null_sink</i>"]
              end
              s0 -.->|"out (ring 256)"| s1

            """.ReplaceLineEndings("\n"), stdout);
    }

    [Fact]
    public async Task UnknownFormatIsAUsageError()
    {
        (int code, _, string stderr) = await FlowProcess.RunAsync(60, "graph", "pipelines/generator_demo.json", "--format", "svg");
        Assert.Equal(2, code);
        Assert.Contains("svg", stderr);
    }
}
