using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>
/// <c>"shards"</c> in graph files: every shard runs its own copy of every worker and stage, named
/// <c>stage@shard</c>, with errors reported once at the declared stage, and stages that cannot
/// be copied made once, fed by every shard.
/// </summary>
public sealed class GraphFileShardTests
{
    private static FlowGraph Load(ServiceProvider services, string json) =>
        services.GetRequiredService<GraphFileLoader>().LoadText(json, "t.json");

    [Fact]
    public async Task EachShardRunsItsOwnCopyOfTheGraphOnItsOwnWorker()
    {
        using ServiceProvider services = TestServices.Create();
        using FlowGraph graph = Load(services, """
            {
              "shards": 2,
              "workers": [{ "id": 0, "idle": "yielding" }],
              "stages": {
                "gen": { "type": "generator", "config": { "count": 5000 } },
                "count": { "type": "counter" },
                "sink": { "type": "null_sink" }
              },
              "edges": ["gen -> count", "count -> sink"]
            }
            """);

        Assert.Equal(["count@0 0", "count@1 1", "gen@0 0", "gen@1 1", "sink@0 0", "sink@1 1"],
            graph.Stages.Select(s => $"{s.Name} {s.Worker}").Order(StringComparer.Ordinal));
        Assert.Equal([0, 1], graph.Workers.Select(w => w.Id));
        Assert.All(graph.Workers, w => Assert.Equal(IdlePolicy.Yielding, w.Idle));
        Assert.Equal(2, graph.Edges.Count(e => e.From.StartsWith("count@", StringComparison.Ordinal)));

        graph.Start();
        await Flow.TestKit.Waits.Until(() => graph.GetStats().Summed("sink").Consumed == 10_000, "both shards' generators to finish");
        await graph.StopAsync(drain: true);
        GraphStats stats = graph.GetStats();
        // Per shard, and summed.
        Assert.Equal((5000L, 5000L), (stats.Stage("count@0").In, stats.Stage("count@1").In));
        StageStats count = stats.Summed("count");
        Assert.Equal(("count", 10_000L, 10_000L), (count.Name, count.In, count.OutTotal));
        Assert.True(stats.IsBalanced);

        // flow ctl stats: each shard's copy, then the stage summed over the shards.
        ControlReply reply = await new Flow.Hosting.Internal.StatsControlCommand().ExecuteAsync(new ControlRequest(graph, "stats"), CancellationToken.None);
        var rows = reply.Rows.Where(r => r[0].StartsWith("count", StringComparison.Ordinal)).Select(r => $"{r[0]} {r[2]} {r[3]}").ToList();
        Assert.Equal(["count@0 0 5000", "count@1 1 5000", "count all 10000"], rows);
    }

    [Fact]
    public void AListOfCpusPinsOneShardOnEach()
    {
        using ServiceProvider services = TestServices.Create();
        Assert.True(Environment.ProcessorCount >= 2, $"this test needs 2 CPUs, the process may use {Environment.ProcessorCount}");
        int[] cpus = [0, 1];
        using FlowGraph graph = Load(services, $$"""
            {
              "shards": [{{cpus[1]}}, {{cpus[0]}}],
              "workers": [{ "id": 0, "idle": "yielding" }],
              "stages": { "gen": { "type": "generator", "config": { "count": 1 } }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"]
            }
            """);

        Assert.Equal([(0, (int?)cpus[1]), (1, cpus[0])], graph.Workers.Select(w => (w.Id, w.Cpu)));
    }

    [Fact]
    public void OneShardKeepsTheDeclaredNames()
    {
        using ServiceProvider services = TestServices.Create();
        using FlowGraph graph = Load(services, """
            { "shards": 1, "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink" } }, "edges": ["gen -> sink"] }
            """);

        Assert.Equal(["gen", "sink"], graph.Stages.Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("0", "1:13", "expected an integer from 1 to 256, found the number 0")]
    [InlineData("\"two\"", "1:13", "expected the number of shards (1 to 256) or a list of CPUs, one per shard, like [2, 3], found the string \"two\"")]
    [InlineData("[1, 1]", "1:13", "each shard needs a CPU of its own: a CPU is listed twice")]
    [InlineData("[1, -1]", "1:17", "expected a CPU number from 0 to 4095, found the number -1")]
    public void ABadShardsValueIsReportedWhereItIs(string shards, string position, string message)
    {
        using ServiceProvider services = TestServices.Create();
        var e = Assert.Throws<GraphFileException>(() => Load(services,
            $$"""{ "shards": {{shards}}, "stages": { "gen": { "type": "generator" }, "sink": { "type": "null_sink" } }, "edges": ["gen -> sink"] }"""));

        GraphFileError error = Assert.Single(e.Errors);
        Assert.Equal((position, message), (error.Position.ToString(), error.Message));
    }

    [Fact]
    public void ABuilderErrorInEveryShardIsReportedOnceAtTheDeclaredStage()
    {
        using ServiceProvider services = TestServices.Create();
        const string Graph = """
            {
              "shards": SHARDS,
              "stages": { "gen": { "type": "generator" }, "orphan": { "type": "counter" }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"]
            }
            """;
        var sharded = Assert.Throws<GraphFileException>(() => Load(services, Graph.Replace("SHARDS", "3", StringComparison.Ordinal)));
        var single = Assert.Throws<GraphFileException>(() => Load(services, Graph.Replace("SHARDS", "1", StringComparison.Ordinal)));

        Assert.Equal(single.Errors.Select(x => (x.Position, x.JsonPath, x.Message)), sharded.Errors.Select(x => (x.Position, x.JsonPath, x.Message)));
        Assert.All(sharded.Errors, x => Assert.Equal("$.stages.orphan", x.JsonPath));
    }

    [Fact]
    public async Task AStageMarkedSingleShardRunsOnceOnShardZerosWorkerFedByEveryShard()
    {
        using ServiceProvider services = TestServices.Create();
        using FlowGraph graph = Load(services, """
            {
              "shards": 2,
              "workers": [{ "id": 0, "idle": "yielding" }],
              "stages": {
                "gen": { "type": "generator", "config": { "count": 5000 } },
                "tally": { "type": "one_writer_tally" },
                "sink": { "type": "null_sink" }
              },
              "edges": ["gen -> tally", "tally -> sink"]
            }
            """);

        // sink, fed by tally alone, is one copy too: a copy on shard 1 would get nothing.
        Assert.Equal(["gen@0 0", "gen@1 1", "sink 0", "tally 0"], graph.Stages.Select(s => $"{s.Name} {s.Worker}").Order(StringComparer.Ordinal));
        Assert.Equal(["gen@0 -> tally", "gen@1 -> tally", "tally -> sink"],
            graph.Edges.Select(e => $"{e.From} -> {e.To}").Order(StringComparer.Ordinal));
        graph.Start();
        await Flow.TestKit.Waits.Until(() => graph.GetStats().Summed("sink").Consumed == 10_000, "both shards' generators to finish");
        await graph.StopAsync(drain: true);
        GraphStats stats = graph.GetStats();
        Assert.Equal((10_000L, 10_000L), (stats.Stage("tally").In, stats.Stage("sink").Consumed));
        Assert.False(graph.GetStage<OneWriterTally>("tally").SawTwoThreads);
        Assert.True(stats.IsBalanced);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RouterJsonAtTwoShardsForwardsOnEachWithTheOneWriterStagesOnceAndTheirReadersWiredToShardZero(bool nat)
    {
        using ServiceProvider services = TestServices.CreateWithBackends();
        string directory = Directory.CreateTempSubdirectory("flow-shards-").FullName;
        try
        {
            var parameters = new Dictionary<string, string>
            {
                ["shards"] = "2", ["nat.enabled"] = nat ? "true" : "false", ["memif_socket"] = Path.Combine(directory, "memif.sock"),
            };
            await using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().Load(
                Path.Combine(TestServices.RepositoryRoot, "pipelines", "router.json"), parameters);
            string Placement(string stage) => string.Join(" ", graph.Stages.Where(s => ShardNames.Matches(s.Name, stage)).Select(s => $"{s.Name}:{s.Worker}").Order(StringComparer.Ordinal));

            // Every shard receives, checks and routes on its own; without NAT it also sends on its own.
            string[] afterNat = ["ipv4_output", "arp_resolve", "lan_tx"];
            foreach (string copied in new[] { "lan_rx", "classify", "ipv4_input", "ipv4_lookup", "ipv4_forward", "icmp_error" }.Concat(nat ? [] : afterNat))
            {
                Assert.Equal($"{copied}@0:0 {copied}@1:1", Placement(copied));
            }
            // ... the stages whose state has one writer run once, on shard 0's worker ...
            foreach (string once in new[] { "arp", "dhcp_server", "dhcp_client", "ping" })
            {
                Assert.Equal($"{once}:0", Placement(once));
            }
            // ... and so does the NAT when it is on, with all that only it feeds; off, it passes
            // packets on every shard.
            Assert.Equal(nat ? "nat_out:0" : "nat_out@0:0 nat_out@1:1", Placement("nat_out"));
            if (nat)
            {
                Assert.All(afterNat, stage => Assert.Equal($"{stage}:0", Placement(stage)));
                return;
            }
            // Shard 1's arp_resolve reads the neighbour table and hands the owner what only it can do.
            Assert.Contains(graph.Edges, e => (e.From, e.Port, e.To) == ("arp_resolve@1", IShardedStage.WriterPort, "arp_resolve@0"));
            Assert.DoesNotContain(graph.Edges, e => e.From == "arp_resolve@0" && e.Port == IShardedStage.WriterPort);
            Assert.Contains(graph.Edges, e => (e.From, e.Port, e.To) == ("classify@1", "arp", "arp"));
            var owner = graph.GetStage<Flow.Stages.Arp.ArpResolver>("arp_resolve@0");
            var reader = graph.GetStage<Flow.Stages.Arp.ArpResolver>("arp_resolve@1");
            Assert.Same(owner.Table, reader.Table);
            Assert.False(owner.IsReader);
            Assert.True(reader.IsReader);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// A port whose backend has no queues (loop) in a graph of 2 shards: its one rx on shard 0's
    /// worker spreads the flows over both shards through a shard_distributor, and both shards'
    /// generators feed its one tx.
    /// </summary>
    [Fact]
    public async Task AOneCopyPortFeedsEveryShardThroughADistributorAndEveryShardFeedsItsTx()
    {
        using ServiceProvider services = TestServices.CreateWithBackends();
        using FlowGraph graph = Load(services, """
            {
              "shards": 2,
              "workers": [{ "id": 0, "idle": "yielding" }],
              "stages": {
                "gen": { "type": "generator", "config": { "count": 2000, "rate_pps": 40000, "sequence_offset": 30 } },
                "out": { "type": "loop_tx", "config": { "wire": "shards", "end": "a" } },
                "in": { "type": "loop_rx", "config": { "wire": "shards", "end": "b" } },
                "count": { "type": "counter" },
                "sink": { "type": "null_sink" }
              },
              "edges": ["gen -> out", "in -> count", "count -> sink"]
            }
            """);

        Assert.Equal(["count@0", "count@1", "gen@0", "gen@1", "in", "in_to_shards", "out", "sink@0", "sink@1"],
            graph.Stages.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.All(graph.Stages.Where(s => s.Name is "in" or "in_to_shards" or "out"), s => Assert.Equal(0, s.Worker));
        graph.Start();
        // A ring between workers that is full drops and counts (a loaded machine may starve a worker).
        static long Accounted(GraphStats s) => s.Summed("sink").Consumed + s.Rings.Sum(r => r.Dropped);
        await Flow.TestKit.Waits.Until(() => Accounted(graph.GetStats()) == 4000,
            () => "4000 frames round the loop: " + string.Join("; ", graph.GetStats().Stages) + "; " + string.Join("; ", graph.GetStats().Rings));
        await graph.StopAsync(drain: true);

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        StageStats spread = stats.Stage("in_to_shards");
        // The generators stamp a sequence number over the UDP destination port: 2000 flows each.
        Assert.True(spread.OutOn("shard0") > 1000 && spread.OutOn("shard1") > 1000, $"spread {spread.OutOn("shard0")} / {spread.OutOn("shard1")}");
        Assert.Equal(spread.OutOn("shard0") + spread.OutOn("shard1"), stats.Stage("count@0").In + stats.Stage("count@1").In + stats.Rings.Sum(r => r.Dropped));
    }
}
