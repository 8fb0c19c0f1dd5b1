using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>
/// Each <see cref="GraphErrorKind"/> a graph file can provoke, with where the loader reports it:
/// the edge, stage or worker the builder's error names (found from its fields, not its sentence).
/// The kinds a file cannot provoke are caught by the loader's own checks first.
/// </summary>
public sealed class GraphFileBuilderErrorTests
{
    /// <summary>Kinds the loader reports itself before the builder could (its fixtures pin the messages).</summary>
    private static readonly Dictionary<GraphErrorKind, string> s_caughtByTheLoader = new()
    {
        [GraphErrorKind.InvalidWorkerId] = "a worker id is read as an integer from 0",
        [GraphErrorKind.WorkerDeclaredTwice] = "err_structure: worker 0 is declared twice",
        [GraphErrorKind.InvalidBurst] = "a graph file sets no burst",
        [GraphErrorKind.InvalidStageName] = "err_structure: stage name 'bad name' is not valid",
        [GraphErrorKind.StageAddedTwice] = "err_duplicate_keys: stage 'gen' is declared twice",
        [GraphErrorKind.InvalidStageDeclaration] = "a type's declarations are read when it is registered or scanned (err_bad_assembly)",
        [GraphErrorKind.StageWorkerInvalid] = "a stage's worker is read as an integer from 0",
        [GraphErrorKind.UnknownStage] = "err_structure: edge ghost -> gen: no stage named 'ghost'",
        [GraphErrorKind.InvalidRingCapacity] = "err_structure: ring_capacity expected a power of two",
    };

    private static ServiceProvider Services(Stage? shared = null)
    {
        var services = new ServiceCollection();
        services.AddFlowHosting();
        services.AddFlowStage<Ipv4Counter>();
        services.AddSingleton(StageAssemblyScanner.Register(typeof(TwoWay)));
        SharedSink sink = shared as SharedSink ?? new SharedSink();
        services.AddSingleton(new StageRegistration(StageDescriptor.Of(typeof(SharedSink)), null, (_, _) => sink));
        return services.BuildServiceProvider();
    }

    private static GraphFileError Only(ServiceProvider services, string json, GraphErrorKind kind)
    {
        var e = Assert.Throws<GraphFileException>(() => services.GetRequiredService<GraphFileLoader>().LoadText(json, "t.json"));
        return Assert.Single(e.Errors, x => x.Kind == kind);
    }

    public static TheoryData<GraphErrorKind, string, string, string> Cases() => new()
    {
        {
            GraphErrorKind.WorkerIdGap, "2:14", "$.workers", """
            {
              "workers": [{ "id": 1 }],
              "stages": { "gen": { "type": "generator", "worker": 1 }, "sink": { "type": "null_sink", "worker": 1 } },
              "edges": ["gen -> sink"]
            }
            """
        },
        {
            GraphErrorKind.CpuUnavailable, "2:33", "$.workers[0].cpu", """
            {
              "workers": [{ "id": 0, "cpu": 4000 }],
              "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"]
            }
            """
        },
        {
            GraphErrorKind.Cycle, "2:15", "$.workers[0]", """
            {
              "workers": [{ "id": 0, "idle": "yielding" }],
              "stages": { "gen": { "type": "generator" }, "a": { "type": "counter" }, "b": { "type": "counter" } },
              "edges": ["gen -> a", "a -> b", "b -> a"]
            }
            """
        },
        {
            GraphErrorKind.Cycle, "4:5", "$.stages.a", """
            {
              "stages": {
                "gen": { "type": "generator" },
                "a": { "type": "counter" },
                "b": { "type": "counter" }
              },
              "edges": ["gen -> a", "a -> b", "b -> a"]
            }
            """
        },
        {
            GraphErrorKind.UnknownPort, "3:28", "$.edges[1]", """
            {
              "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink", "gen:nope -> sink"]
            }
            """
        },
        {
            GraphErrorKind.PortNotNamed, "3:29", "$.edges[1]", """
            {
              "stages": { "gen": { "type": "generator" }, "split": { "type": "two_way" }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> split", "split -> sink", "split:left -> sink"]
            }
            """
        },
        {
            GraphErrorKind.NoOutputPorts, "3:28", "$.edges[1]", """
            {
              "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink" }, "end": { "type": "null_sink" } },
              "edges": ["gen -> sink", "sink -> end"]
            }
            """
        },
        {
            GraphErrorKind.TargetIsSource, "5:5", "$.edges[1]", """
            {
              "stages": { "gen": { "type": "generator" }, "gen2": { "type": "generator" }, "sink": { "type": "null_sink" } },
              "edges": [
                { "from": "gen2", "to": "sink" },
                {"from": "gen", "to": "gen2"}
              ]
            }
            """
        },
        {
            GraphErrorKind.PortConnectedTwice, "4:5", "$.edges[1]", """
            {
              "stages": { "gen": { "type": "generator" }, "a": { "type": "null_sink" }, "b": { "type": "null_sink" } },
              "edges": ["gen -> a",
                "gen:out -> b"]
            }
            """
        },
        {
            GraphErrorKind.PortTypeMismatch, "3:27", "$.edges[1]", """
            {
              "stages": { "gen": { "type": "generator" }, "v4": { "type": "ipv4_counter" }, "sink": { "type": "null_sink" } },
              "edges": ["v4 -> sink", "gen -> v4"]
            }
            """
        },
        {
            GraphErrorKind.PortNotConnected, "4:5", "$.stages.split", """
            {
              "stages": {
                "gen": { "type": "generator" },
                "split": { "type": "two_way" },
                "sink": { "type": "null_sink" }
              },
              "edges": ["gen -> split", "split:left -> sink"]
            }
            """
        },
        {
            GraphErrorKind.NoInput, "5:5", "$.stages.idle", """
            {
              "stages": {
                "gen": { "type": "generator" },
                "sink": { "type": "null_sink" },
                "idle": { "type": "null_sink" }
              },
              "edges": ["gen -> sink"]
            }
            """
        },
        {
            GraphErrorKind.StageInstanceReused, "5:5", "$.stages.b", """
            {
              "stages": {
                "gen": { "type": "generator" },
                "a": { "type": "shared_sink" },
                "b": { "type": "shared_sink" }
              },
              "edges": ["gen -> a"]
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheBuildersErrorIsReportedWhereTheFileSaysWhatItNames(GraphErrorKind kind, string position, string jsonPath, string json)
    {
        using ServiceProvider services = Services();
        GraphFileError error = Only(services, json, kind);
        Assert.Equal((position, jsonPath), (error.Position.ToString(), error.JsonPath));
    }

    [Fact]
    public void AStageAlreadyRunningInAnotherGraphIsReportedAtTheStage()
    {
        const string json = """
            {
              "stages": {
                "gen": { "type": "generator" },
                "tap": { "type": "shared_sink" }
              },
              "edges": ["gen -> tap"]
            }
            """;
        using ServiceProvider services = Services();
        var loader = services.GetRequiredService<GraphFileLoader>();
        using FlowGraph first = loader.LoadText(json, "first.json");

        GraphFileError error = Only(services, json, GraphErrorKind.StageInAnotherGraph);

        Assert.Equal(("4:5", "$.stages.tap", "stage 'tap' is already placed in another graph as 'tap'"),
            (error.Position.ToString(), error.JsonPath, error.Message));
    }

    [Fact]
    public void ErrorsTheLoaderFindsItselfCarryNoBuilderKind()
    {
        using ServiceProvider services = Services();
        var e = Assert.Throws<GraphFileException>(() => services.GetRequiredService<GraphFileLoader>().LoadText("""
            { "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink" } }, "edges": ["ghost -> sink", "gen -> sink"] }
            """, "t.json"));
        Assert.Null(Assert.Single(e.Errors).Kind);
    }

    [Fact]
    public void ARingCapacityThatIsNoPowerOfTwoIsReportedOnceAtTheCapacity()
    {
        using ServiceProvider services = Services();
        var e = Assert.Throws<GraphFileException>(() => services.GetRequiredService<GraphFileLoader>().LoadText("""
            {
              "workers": [{ "id": 0, "idle": "yielding" }, { "id": 1, "idle": "yielding" }],
              "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink", "worker": 1 } },
              "edges": [{ "from": "gen", "to": "sink", "ring_capacity": 1000 }]
            }
            """, "t.json"));
        Assert.True(e.Errors.Count == 1, e.Message);
        GraphFileError error = e.Errors[0];
        Assert.Equal(("4:61", "$.edges[0].ring_capacity", (GraphErrorKind?)null), (error.Position.ToString(), error.JsonPath, error.Kind));
    }

    [Fact]
    public void AFeedbackFlagThatIsNoBooleanIsReportedAtTheFlag()
    {
        using ServiceProvider services = Services();
        var e = Assert.Throws<GraphFileException>(() => services.GetRequiredService<GraphFileLoader>().LoadText("""
            {
              "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink" } },
              "edges": [{ "from": "gen", "to": "sink", "feedback": "yes" }]
            }
            """, "t.json"));
        GraphFileError error = Assert.Single(e.Errors);
        Assert.Equal(("3:56", "$.edges[0].feedback"), (error.Position.ToString(), error.JsonPath));
        Assert.Contains("expected true or false", error.Message);
    }

    [Fact]
    public void EveryKindIsReportedFromAFileOrCaughtByTheLoaderFirst()
    {
        var fromFiles = Cases().Select(row => (GraphErrorKind)row[0]).Append(GraphErrorKind.StageInAnotherGraph).ToHashSet();
        Assert.Empty(fromFiles.Intersect(s_caughtByTheLoader.Keys));
        Assert.Equal(Enum.GetValues<GraphErrorKind>().Order(), fromFiles.Concat(s_caughtByTheLoader.Keys).Order());
    }
}
