using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>Every graph under pipelines/ loads, and its checked-in .dot is what <c>flow graph --format dot</c> draws now.</summary>
public sealed class PipelineFilesTests
{
    private static string PipelinesDirectory => Path.Combine(TestServices.RepositoryRoot, "pipelines");

    public static TheoryData<string> Pipelines()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(PipelinesDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    [Fact]
    public void PipelinesFolderHasAtLeastTheGeneratorDemo() =>
        Assert.True(File.Exists(Path.Combine(PipelinesDirectory, "generator_demo.json")));

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void PipelineFileIsValid(string file)
    {
        using ServiceProvider services = TestServices.CreateWithBackends();
        using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().Load(Path.Combine(PipelinesDirectory, file));
        Assert.NotEmpty(graph.Stages);
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void CheckedInDotMatchesTheGraph(string file)
    {
        string dotPath = Path.Combine(PipelinesDirectory, Path.ChangeExtension(file, ".dot"));
        Assert.True(File.Exists(dotPath), $"pipelines/{Path.GetFileName(dotPath)} is missing: run 'flow graph pipelines/{file} --format dot -o pipelines/{Path.GetFileName(dotPath)}'");
        using ServiceProvider services = TestServices.CreateWithBackends();
        using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().Load(Path.Combine(PipelinesDirectory, file));
        string expected = GraphDiagram.ToDot(graph, Path.GetFileNameWithoutExtension(file));
        Assert.True(expected == File.ReadAllText(dotPath),
            $"pipelines/{Path.GetFileName(dotPath)} is stale: run 'flow graph pipelines/{file} --format dot -o pipelines/{Path.GetFileName(dotPath)}'");
    }

    [Fact]
    public async Task GeneratorDemoRunsToCompletionBalanced()
    {
        using ServiceProvider services = TestServices.CreateWithBackends();
        await using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().Load(Path.Combine(PipelinesDirectory, "generator_demo.json"));
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(120));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(10_000_000, stats.Stage("sink").Consumed);
    }
}
