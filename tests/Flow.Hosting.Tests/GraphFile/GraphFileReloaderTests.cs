using Flow.Stages.Switching;
using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests.GraphFile;

/// <summary>
/// <see cref="GraphFileReloader"/> on a running graph: which stages it keeps (the same
/// instances), reconfigures, replaces, adds and removes, and that a file that does not load —
/// bad syntax, a refused config, a device that does not open — changes nothing at all.
/// </summary>
public sealed class GraphFileReloaderTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("flow-reload-").FullName;

    private const string Version1 = """
        {
          "workers": [{ "id": 0, "idle": "spin_then_sleep" }],
          "stages": {
            "gen":   { "type": "generator", "config": { "rate_pps": 100000 } },
            "count": { "type": "counter" },
            "learn": { "type": "mac_learner", "config": { "aging_time": "00:05:00", "max_entries": 1024 } },
            "sink":  { "type": "null_sink" }
          },
          "edges": ["gen -> count", "count -> learn", "learn -> sink"]
        }
        """;

    private string File(string name, string json)
    {
        string path = Path.Combine(_directory, name);
        System.IO.File.WriteAllText(path, json);
        return path;
    }

    private static ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddFlowHosting();
        Flow.Stages.StagesRegistration.AddFlowSwitching(services);
        services.AddFlowStage<UnopenableDevice>();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task UnchangedStagesAreKeptChangedConfigGoesLiveOrReplacesAndNewStagesJoin()
    {
        using ServiceProvider services = Services();
        var reloader = new GraphFileReloader(services.GetRequiredService<GraphFileLoader>(), File("v1.json", Version1));
        await using FlowGraph graph = reloader.Load();
        graph.Start();
        var count = graph.GetStage<Counter>("count");
        var learn = graph.GetStage<MacLearner>("learn");
        var gen = graph.GetStage<Generator>("gen");
        await Waits.Until(() => count.Packets > 1000, "traffic", Limit);

        // The generator's rate changes (not live: replaced), the learner's aging time (live), and a
        // second counter joins between count and learn.
        string second = File("v2.json", Version1.Replace("100000", "50000").Replace("00:05:00", "00:01:00")
            .Replace("\"sink\":  { \"type\": \"null_sink\" }", "\"sink\":  { \"type\": \"null_sink\" }, \"more\": { \"type\": \"counter\" }")
            .Replace("\"count -> learn\"", "\"count -> more\", \"more -> learn\""));
        GraphReload reload = await reloader.ReloadAsync(second).WaitAsync(Limit);

        Assert.Equal(["count", "learn", "sink"], reload.Kept);
        Assert.Equal(["learn"], reload.Reconfigured);
        Assert.Equal(["gen"], reload.Replaced);
        Assert.Equal(["more"], reload.Added);
        Assert.Empty(reload.Removed);
        Assert.Same(count, graph.GetStage<Counter>("count"));
        Assert.Same(learn, graph.GetStage<MacLearner>("learn"));
        Assert.NotSame(gen, graph.GetStage<Generator>("gen"));
        Assert.Equal(second, reloader.Path);
        await Waits.Until(() => graph.GetStage<Counter>("more").Packets > 1000, "traffic through the added stage", Limit);

        // The same file again: everything is kept, nothing reconfigured.
        GraphReload again = await reloader.ReloadAsync().WaitAsync(Limit);
        Assert.Equal(5, again.Kept.Count);
        Assert.Empty(again.Reconfigured.Concat(again.Replaced).Concat(again.Added).Concat(again.Removed));

        await graph.StopAsync(drain: true).WaitAsync(Limit);
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(count.Packets, stats.Stages.Single(s => s.Name == "count").In);
    }

    [Theory]
    [InlineData("syntax", "{ \"stages\": ", "")]
    [InlineData("config", "\"rate_pps\": 100000", "\"rate_ppz\": 100000")]
    [InlineData("device", "\"sink\":  { \"type\": \"null_sink\" }", "\"sink\":  { \"type\": \"null_sink\" }, \"nic\": { \"type\": \"unopenable_device\" }")]
    public async Task AFileThatDoesNotLoadChangesNothing(string what, string from, string to)
    {
        using ServiceProvider services = Services();
        var reloader = new GraphFileReloader(services.GetRequiredService<GraphFileLoader>(), File("v1.json", Version1));
        await using FlowGraph graph = reloader.Load();
        graph.Start();
        var count = graph.GetStage<Counter>("count");
        var gen = graph.GetStage<Generator>("gen");
        await Waits.Until(() => count.Packets > 1000, "traffic", Limit);
        string broken = File($"{what}.json", what switch
        {
            "syntax" => from,
            "device" => Version1.Replace(from, to).Replace("\"learn -> sink\"", "\"learn -> sink\", \"nic -> sink\""),
            _ => Version1.Replace(from, to),
        });

        GraphFileException error = await Assert.ThrowsAsync<GraphFileException>(() => reloader.ReloadAsync(broken));

        Assert.NotEmpty(error.Errors);
        Assert.Equal(GraphState.Running, graph.State);
        Assert.Same(count, graph.GetStage<Counter>("count"));
        Assert.Same(gen, graph.GetStage<Generator>("gen"));
        Assert.Equal(["count", "gen", "learn", "sink"], graph.Stages.Select(s => s.Name).Order(StringComparer.Ordinal));
        long before = count.Packets;
        await Waits.Until(() => count.Packets > before + 1000, "traffic after the refused reload", Limit);
        Assert.EndsWith("v1.json", reloader.Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RouterJsonTakesChangedPortMappingsLiveWithoutReplacingAStage()
    {
        using ServiceProvider services = TestServices.CreateWithBackends();
        string router = System.IO.File.ReadAllText(Path.Combine(TestServices.RepositoryRoot, "pipelines", "router.json"));
        const string NoMappings = "\"port_mappings\": [], \"address_mappings\"";
        Assert.Contains(NoMappings, router);
        var parameters = new Dictionary<string, string> { ["nat.enabled"] = "true", ["memif_socket"] = Path.Combine(_directory, "memif.sock") };
        var reloader = new GraphFileReloader(services.GetRequiredService<GraphFileLoader>(), File("router.json", router), parameters);
        await using FlowGraph graph = reloader.Load();
        graph.Start();

        string mapped = File("mapped.json", router.Replace(NoMappings,
            "\"port_mappings\": [{ \"protocol\": \"tcp\", \"external_port\": 8080, \"internal\": \"192.168.1.10:8000\" }], \"address_mappings\"", StringComparison.Ordinal));
        GraphReload reload = await reloader.ReloadAsync(mapped).WaitAsync(Limit);

        Assert.Equal(["nat_in", "nat_out"], reload.Reconfigured);
        Assert.Empty(reload.Replaced.Concat(reload.Added).Concat(reload.Removed));
        var nat = graph.GetStage<Flow.Stages.Nat.NatOutbound>("nat_out");
        Assert.True(await graph.InvokeAsync<Flow.Stages.Nat.NatOutbound, bool>("nat_out", s => s.Table.FindMappingByOutside(0xC0A86402, 8080, 6) >= 0).WaitAsync(Limit),
            "the port mapping the reload added is not in the table");
        Assert.Same(nat, graph.GetStage<Flow.Stages.Nat.NatOutbound>("nat_out"));
        await graph.StopAsync(drain: true).WaitAsync(Limit);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
