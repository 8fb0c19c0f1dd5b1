using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>
/// <see cref="GraphFileLoader.Check"/>, the dry run of <c>flow validate</c> and <c>flow graph</c>:
/// the same errors as a real load for everything it checks, without constructing the stages
/// a real load would (the test stages here come from this assembly, which is no pure stage
/// library), and no <c>assemblies</c> unless allowed.
/// </summary>
public sealed class GraphFileCheckTests
{
    private static string Directory => Path.Combine(AppContext.BaseDirectory, "GraphFiles");

    /// <summary>Error fixtures whose outcome depends on constructing a stage (the dry run does not).</summary>
    private static readonly string[] s_constructionFixtures = ["err_stage_cannot_be_created"];

    public static TheoryData<string> ErrorFixtures()
    {
        var data = new TheoryData<string>();
        foreach (string file in System.IO.Directory.GetFiles(Directory, "err_*.json").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (!s_constructionFixtures.Contains(name))
            {
                data.Add(name);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ErrorFixtures))]
    public void CheckReportsTheErrorsLoadReports(string name)
    {
        using ServiceProvider services = TestServices.Create();
        var loader = services.GetRequiredService<GraphFileLoader>();
        string json = File.ReadAllText(Path.Combine(Directory, name + ".json"));

        GraphFileException loaded = Assert.Throws<GraphFileException>(() => loader.LoadText(json, name, Directory));
        GraphFileException checkedOnly = Assert.Throws<GraphFileException>(() =>
            loader.CheckText(json, name, Directory, new GraphCheckOptions { AllowAssemblies = true }));

        Assert.Equal(loaded.Errors, checkedOnly.Errors);
    }

    [Fact]
    public void AFeedbackEdgeIsARingOnItsWorkerInTheOutline()
    {
        using ServiceProvider services = TestServices.Create();
        GraphOutline outline = services.GetRequiredService<GraphFileLoader>().CheckText("""
            {
              "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink" } },
              "edges": [{ "from": "gen", "to": "sink", "feedback": true, "ring_capacity": 256 }]
            }
            """, "t.json", Directory, new GraphCheckOptions());

        Assert.Equal(new EdgeInfo("gen", "out", "sink", 256, false, Feedback: true), Assert.Single(outline.Edges));
        Assert.Contains("out (feedback ring 256)", GraphDiagram.ToDot(outline, "t"));
    }

    [Fact]
    public void CheckDoesNotConstructStagesOutsidePureLibraries()
    {
        // unopenable_device's constructor throws like a backend whose device is missing; the
        // dry run never calls it, and still checks its port and edge.
        using ServiceProvider services = TestServices.Create();
        string json = File.ReadAllText(Path.Combine(Directory, "err_stage_cannot_be_created.json"));

        GraphOutline outline = services.GetRequiredService<GraphFileLoader>().CheckText(json, "t.json", Directory, new GraphCheckOptions());

        Assert.Equal(["rx unopenable_device", "sink null_sink"], outline.Stages.Select(s => $"{s.Name} {s.Type}"));
        Assert.Equal(new EdgeInfo("rx", "out", "sink", 0, false), Assert.Single(outline.Edges));
    }

    [Fact]
    public void StandInsCarryTheDeclaredPortsAndPacketTypes()
    {
        // Both are stand-ins here: unopenable_device's port 'out' carries Any, ipv4_counter accepts Ipv4 only.
        using ServiceProvider services = TestServices.Create();
        GraphFileException e = Assert.Throws<GraphFileException>(() => services.GetRequiredService<GraphFileLoader>().CheckText("""
            {
              "stages": { "rx": { "type": "unopenable_device" }, "count": { "type": "ipv4_counter" }, "sink": { "type": "null_sink" } },
              "edges": ["rx -> count", "count -> sink"]
            }
            """, "t.json", null, new GraphCheckOptions()));

        Assert.Equal("edge rx:out -> count: port 'rx:out' carries Any but stage 'count' (ipv4_counter) accepts Ipv4", Assert.Single(e.Errors).Message);
    }

    [Fact]
    public void CheckRefusesAssembliesUnlessAllowed()
    {
        using ServiceProvider services = TestServices.Create();
        var loader = services.GetRequiredService<GraphFileLoader>();
        string json = File.ReadAllText(Path.Combine(Directory, "ok_user_assembly.json"));

        GraphFileException e = Assert.Throws<GraphFileException>(() => loader.CheckText(json, "t.json", Directory, new GraphCheckOptions()));
        GraphOutline allowed = loader.CheckText(json, "t.json", Directory, new GraphCheckOptions { AllowAssemblies = true });

        GraphFileError error = Assert.Single(e.Errors);
        Assert.Equal("$.assemblies", error.JsonPath);
        Assert.StartsWith("refusing to load 'assemblies' while checking a graph: loading an assembly runs its code.", error.Message);
        Assert.NotEmpty(allowed.Stages);
    }
}
