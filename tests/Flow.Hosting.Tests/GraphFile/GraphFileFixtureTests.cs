using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>
/// Click-style fixtures: every <c>GraphFiles/&lt;case&gt;.json</c> is loaded and, when valid, run
/// to completion; the outcome must equal <c>&lt;case&gt;.expected</c> exactly — either
/// <c>error</c> followed by every error line, or <c>run</c> followed by per-stage counts.
/// <c>FLOW_UPDATE_FIXTURES=1 dotnet test</c> rewrites the .expected files from what the loader does now.
/// </summary>
public sealed class GraphFileFixtureTests
{
    private static string Directory => Path.Combine(AppContext.BaseDirectory, "GraphFiles");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string file in System.IO.Directory.GetFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task FixtureProducesItsExpectedOutcome(string name)
    {
        string expectedPath = Path.Combine(Directory, name + ".expected");
        if (Environment.GetEnvironmentVariable("FLOW_UPDATE_FIXTURES") == "1")
        {
            // Regenerates the checked-in .expected files; review the diff before committing.
            string source = Path.Combine(TestServices.RepositoryRoot, "tests", "Flow.Hosting.Tests", "GraphFiles", name + ".expected");
            File.WriteAllText(source, (await OutcomeAsync(name)).Replace($"(available: {AvailableCpus()})", "(available: {available_cpus})", StringComparison.Ordinal) + "\n");
            return;
        }
        Assert.True(File.Exists(expectedPath), $"fixture {name}.json has no {name}.expected beside it");
        string expected = File.ReadAllText(expectedPath).ReplaceLineEndings("\n").TrimEnd()
            .Replace("{available_cpus}", AvailableCpus(), StringComparison.Ordinal);
        string actual = await OutcomeAsync(name);
        Assert.Equal(expected, actual);
    }

    /// <summary>The CPUs this process may run on, as the builder lists them; fixtures say <c>{available_cpus}</c>.</summary>
    private static string AvailableCpus()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Flow runs on Linux");
        }
        long mask = (long)System.Diagnostics.Process.GetCurrentProcess().ProcessorAffinity;
        return string.Join(", ", Enumerable.Range(0, 64).Where(cpu => (mask & (1L << cpu)) != 0));
    }

    /// <summary>What a fixture does, in the .expected format (also used to write new fixtures).</summary>
    internal static async Task<string> OutcomeAsync(string name)
    {
        await using ServiceProvider services = TestServices.Create();
        var loader = services.GetRequiredService<GraphFileLoader>();
        string json = File.ReadAllText(Path.Combine(Directory, name + ".json"));
        FlowGraph graph;
        try
        {
            graph = loader.LoadText(json, $"GraphFiles/{name}.json", Directory);
        }
        catch (GraphFileException e)
        {
            return "error\n" + string.Join("\n", e.Errors.Select(x => x.ToString()));
        }
        await using (graph)
        {
            await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
            GraphStats stats = graph.GetStats();
            Assert.True(stats.IsBalanced, "conservation does not hold: " + string.Join("; ", stats.Stages.Where(s => !s.IsBalanced)));
            var text = new StringBuilder("run");
            foreach (StageStats s in stats.Stages.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                text.Append('\n').Append($"{s.Name} ({s.Type}): in {s.In}, out {s.OutTotal}, dropped {s.DroppedTotal}, consumed {s.Consumed}");
                string reasons = string.Join(", ", s.Drops.Where(d => d.Packets > 0).Select(d => $"{d.Reason}: {d.Packets}"));
                if (reasons.Length > 0)
                {
                    text.Append($" [{reasons}]");
                }
            }
            foreach (RingStats r in stats.Rings)
            {
                text.Append('\n').Append($"ring {r.Name}: enqueued {r.Enqueued}, dequeued {r.Dequeued}, dropped {r.Dropped}");
            }
            return text.ToString();
        }
    }
}
