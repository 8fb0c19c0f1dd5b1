using System.Text.Json;
using System.Text.Json.Nodes;
using Flow.Backends.AfXdp;
using Flow.Backends.Memif;
using Flow.Hosting;
using Flow.Stages;
using Flow.Stages.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Benchmarks.Router;

/// <summary>
/// The shipped <c>pipelines/router.json</c> (found above the working directory or the assembly),
/// loaded through Flow's graph-file loader with <c>--set</c>-style parameters, as
/// <c>flow run pipelines/router.json --set …</c> would, with two additions a benchmark needs and
/// the file cannot take as parameters: its worker pinned to a CPU, and, for the content check,
/// a <see cref="RouterFrameCheck"/> spliced between <c>arp_resolve</c> and each tx
/// (<c>check_lan</c>, <c>check_wan</c>). Everything else is the file as shipped.
/// </summary>
internal sealed class RouterFile : IRouterUnderTest
{
    private readonly ServiceProvider _services;

    private RouterFile(ServiceProvider services, FlowGraph graph, bool checks)
    {
        _services = services;
        Graph = graph;
        Checks = checks ? [graph.GetStage<RouterFrameCheck>("check_lan"), graph.GetStage<RouterFrameCheck>("check_wan")] : [];
    }

    public FlowGraph Graph { get; }

    /// <summary>The checks before lan_tx (0) and wan_tx (1); none without checks.</summary>
    public RouterFrameCheck[] Checks { get; }

    /// <summary>The file's path, or null when it is not found above the working directory or the assembly.</summary>
    public static string? Locate() => Find(Environment.CurrentDirectory) ?? Find(AppContext.BaseDirectory);

    /// <summary>The route table the file's router stages share.</summary>
    public Ipv4RouteTable Routes => _services.GetRequiredService<Ipv4RouteTable>();

    /// <summary>
    /// Loads <paramref name="path"/> with <paramref name="parameters"/> (name → value, JSON when it
    /// parses), its worker on <paramref name="cpu"/>; the checks know <paramref name="flows"/>' destinations when given.
    /// </summary>
    public static RouterFile Load(string path, IReadOnlyDictionary<string, string> parameters, int cpu, bool checks, RouterFlows? flows = null)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        JsonObject file = JsonNode.Parse(File.ReadAllText(path), documentOptions: options)!.AsObject();
        foreach (JsonNode? worker in file["workers"]!.AsArray())
        {
            worker!["cpu"] = cpu;
        }
        if (checks)
        {
            JsonObject stages = file["stages"]!.AsObject();
            JsonArray edges = file["edges"]!.AsArray();
            foreach ((string port, int side) in new[] { ("lan", 0), ("wan", 1) })
            {
                stages[$"check_{port}"] = new JsonObject { ["type"] = "bench_router_check", ["config"] = new JsonObject { ["side"] = side } };
                string old = $"arp_resolve:{port} -> {port}_tx";
                int at = edges.Select((e, i) => (e, i)).Single(x => x.e is JsonValue v && v.GetValue<string>() == old).i;
                edges[at] = $"arp_resolve:{port} -> check_{port}";
                edges.Add($"check_{port} -> {port}_tx");
            }
        }
        var services = new ServiceCollection();
        services.AddFlowHosting();
        services.AddFlowMemif();
        services.AddFlowAfXdp();
        services.AddFlowRouting();
        services.AddFlowRouterStages();
        services.AddFlowStage<RouterFrameCheck, RouterFrameCheckOptions>();
        if (flows is not null)
        {
            services.AddSingleton(flows);
        }
        ServiceProvider provider = services.BuildServiceProvider();
        try
        {
            var loader = new GraphFileLoader(provider);
            FlowGraph graph = loader.LoadText(file.ToJsonString(), Path.GetFileName(path), Path.GetDirectoryName(path), parameters);
            return new RouterFile(provider, graph, checks);
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    private static string? Find(string start)
    {
        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "pipelines", "router.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await Graph.DisposeAsync();
        await _services.DisposeAsync();
    }
}
