using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>
/// Hostile graph files that describe far more than they contain: parameters that expand
/// exponentially ("billion laughs") and files beyond the size cap fail with a graph error, fast,
/// instead of exhausting memory.
/// </summary>
public sealed class GraphFileLimitsTests
{
    // A bounded wait for the load itself: the old loader would run out of memory, not finish.
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task NestedArrayParametersThatExpandToBillionsOfValuesFailAtTheReference()
    {
        // p0 is ten values; each p(i+1) is ten copies of p(i): p9 is 10¹⁰ values.
        var parameters = new StringBuilder("\"p0\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]");
        for (int i = 1; i <= 9; i++)
        {
            parameters.Append($", \"p{i}\": [{string.Join(", ", Enumerable.Repeat($"\"${{p{i - 1}}}\"", 10))}]");
        }
        string json = $$"""
            {
              "parameters": { {{parameters}} },
              "stages": { "gen": { "type": "generator", "config": { "template": "${p9}" } }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"]
            }
            """;

        GraphFileException e = await Assert.ThrowsAsync<GraphFileException>(() => Task.Run(() => Load(json)).WaitAsync(s_limit));

        GraphFileError error = Assert.Single(e.Errors);
        Assert.StartsWith("parameter expansion exceeds 1048576 JSON values at \"${p", error.Message);
    }

    [Fact]
    public async Task NestedStringParametersThatExpandToGibibytesFailAtTheReference()
    {
        // s(i+1) is s(i) twice: s30 would be 2³⁰ characters.
        var parameters = new StringBuilder("\"s0\": \"x\"");
        for (int i = 1; i <= 30; i++)
        {
            parameters.Append($", \"s{i}\": \"${{s{i - 1}}}${{s{i - 1}}}\"");
        }
        string json = $$"""
            {
              "parameters": { {{parameters}} },
              "stages": { "gen": { "type": "channel_source", "config": { "channel": "${s30}" } }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"]
            }
            """;

        GraphFileException e = await Assert.ThrowsAsync<GraphFileException>(() => Task.Run(() => Load(json)).WaitAsync(s_limit));

        GraphFileError error = Assert.Single(e.Errors);
        Assert.StartsWith("parameter expansion exceeds 16 Mi characters of text at \"${s", error.Message);
        Assert.StartsWith("$.parameters.s", error.JsonPath);
    }

    [Fact]
    public void ParametersWithinTheBudgetStillExpand()
    {
        // 10⁵ copied values, well under the budget.
        var parameters = new StringBuilder("\"p0\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]");
        for (int i = 1; i <= 4; i++)
        {
            parameters.Append($", \"p{i}\": [{string.Join(", ", Enumerable.Repeat($"\"${{p{i - 1}}}\"", 10))}]");
        }
        using FlowGraph graph = Load($$"""
            {
              "parameters": { {{parameters}}, "unused": "${p4}" },
              "stages": { "gen": { "type": "generator", "config": { "count": 1 } }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"]
            }
            """);
        Assert.Equal(2, graph.Stages.Count);
    }

    [Fact]
    public void FileLargerThanTheCapIsAGraphErrorNotARead()
    {
        string path = Path.Combine(Path.GetTempPath(), $"flow-big-{Guid.NewGuid():N}.json");
        try
        {
            // Valid JSON all the way: only the size is wrong.
            using (var writer = new StreamWriter(path))
            {
                writer.Write("{ \"description\": \"");
                writer.Write(new string('x', GraphFileLoader.MaxFileBytes));
                writer.Write("\", \"stages\": { \"sink\": { \"type\": \"null_sink\" } } }");
            }
            using ServiceProvider services = TestServices.Create();

            GraphFileException e = Assert.Throws<GraphFileException>(() => services.GetRequiredService<GraphFileLoader>().Load(path));

            GraphFileError error = Assert.Single(e.Errors);
            Assert.Equal("the file is larger than 4 MiB, the limit for a graph file", error.Message);
            Assert.Equal("$", error.JsonPath);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static FlowGraph Load(string json)
    {
        using ServiceProvider services = TestServices.Create();
        return services.GetRequiredService<GraphFileLoader>().LoadText(json, "laughs.json");
    }
}
