using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>A graph file's <c>parameters</c>: references, overrides (<c>--set</c>) and their errors.</summary>
public sealed class GraphParametersTests
{
    private const string Counted = """
        {
          "parameters": { "count": 64, "size": { "frame": 128 }, "name": "gen", "edges": ["gen -> sink"] },
          "stages": {
            "gen":  { "type": "generator", "config": { "count": "${count}", "frame_size": "${size.frame}" } },
            "sink": { "type": "null_sink" }
          },
          "edges": "${edges}"
        }
        """;

    [Fact]
    public async Task WholeStringReferencesTakeTheParametersJsonValue()
    {
        await using FlowGraph graph = Load(Counted);
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(64, stats.Stage("sink").Consumed);
    }

    [Fact]
    public async Task OverridesReplaceAParameterOrAKeyInsideOne()
    {
        await using FlowGraph graph = Load(Counted, ("count", "10"), ("size.frame", "60"));
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(10, stats.Stage("sink").Consumed);
    }

    [Fact]
    public void ParametersSpliceIntoTextAndReferEachOther()
    {
        using FlowGraph graph = Load("""
            {
              "parameters": { "n": 3, "label": "gen${n}", "also": "${label}" },
              "stages": { "${also}": { "type": "null_sink" }, "gen": { "type": "generator", "config": { "count": "${n}" } } },
              "edges": ["gen -> sink"]
            }
            """.Replace("\"${also}\"", "\"sink\"", StringComparison.Ordinal));
        Assert.Equal(2, graph.Stages.Count);
    }

    [Fact]
    public void UnknownReferenceIsAnErrorNamingTheDeclaredParameters()
    {
        GraphFileException e = Assert.Throws<GraphFileException>(() => Load("""
            {
              "parameters": { "count": 1 },
              "stages": { "gen": { "type": "generator", "config": { "count": "${cuont}" } }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"]
            }
            """));
        GraphFileError error = Assert.Single(e.Errors);
        Assert.Equal("$.stages.gen.config.count", error.JsonPath);
        Assert.Contains("unknown parameter 'cuont' in \"${cuont}\" (did you mean 'count'?); declared: count", error.Message);
    }

    [Fact]
    public void OverrideOfAnUndeclaredParameterIsAnError()
    {
        GraphFileException e = Assert.Throws<GraphFileException>(() => Load(Counted, ("cont", "5")));
        Assert.Contains(e.Errors, x => x.Message == "override 'cont=5': no parameter 'cont' is declared (did you mean 'count'?); declared: count, size, name, edges");
    }

    [Fact]
    public void ACycleBetweenParametersIsAnError()
    {
        GraphFileException e = Assert.Throws<GraphFileException>(() => Load("""
            {
              "parameters": { "a": "${b}", "b": "x${a}" },
              "stages": { "sink": { "type": "null_sink" } }
            }
            """));
        Assert.Contains(e.Errors, x => x.Message.Contains("refers to itself: a -> b -> a", StringComparison.Ordinal));
    }

    [Fact]
    public void AnObjectCannotBeSplicedIntoText()
    {
        GraphFileException e = Assert.Throws<GraphFileException>(() => Load(Counted.Replace("\"gen\": ", "\"x\": \"a${size}\", \"gen\": ", StringComparison.Ordinal)));
        Assert.Contains(e.Errors, x => x.Message.StartsWith("parameter 'size' is an object; only a string that is nothing but \"${size}\"", StringComparison.Ordinal));
    }

    [Fact]
    public void DoubleDollarWritesALiteralReference()
    {
        using FlowGraph graph = Load("""
            {
              "stages": { "gen": { "type": "channel_source", "config": { "channel": "$${not_a_parameter}" } }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"]
            }
            """);
        Assert.Equal(2, graph.Stages.Count);
    }

    private static FlowGraph Load(string json, params (string Name, string Value)[] overrides)
    {
        using ServiceProvider services = TestServices.Create();
        return services.GetRequiredService<GraphFileLoader>().LoadText(json, "test.json", null,
            overrides.ToDictionary(o => o.Name, o => o.Value, StringComparer.Ordinal));
    }
}
