using Flow.Hosting;
using Flow.Stages;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Integration.Tests.Router;

/// <summary>Loads the repository's pipelines/router.json the way <c>flow run --set ...</c> does, with the backends it may use.</summary>
internal static class RouterJson
{
    public static string Path => PipelineFiles.PathOf("router.json");

    /// <summary>pipelines/router-dual-wan.json: router.json with a second WAN, wan2, and a NAT on each.</summary>
    public static string DualWanPath => PipelineFiles.PathOf("router-dual-wan.json");

    /// <summary>
    /// The router (router.json, or <paramref name="file"/>) with its parameters overridden (name or name.key → value, as <c>--set</c> takes
    /// them), and the service provider that made it: it owns the route and neighbour tables the
    /// graph's stages share, so dispose it after the graph.
    /// </summary>
    public static (FlowGraph Graph, ServiceProvider Services) Load(IReadOnlyDictionary<string, string> parameters, bool withDmz = false, string? file = null)
    {
        ServiceProvider provider = Services();
        try
        {
            GraphFileLoader loader = provider.GetRequiredService<GraphFileLoader>();
            FlowGraph graph = withDmz
                ? loader.LoadText(WithDmz(File.ReadAllText(Path)), "router.json", System.IO.Path.GetDirectoryName(Path), parameters)
                : loader.Load(file ?? Path, parameters);
            return (graph, provider);
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    /// <summary>A router graph file (router.json or a variant of it) loaded to be reloaded, with its reloader and its service provider.</summary>
    public static (FlowGraph Graph, ServiceProvider Services, GraphFileReloader Reloader) LoadReloadable(string file, IReadOnlyDictionary<string, string> parameters)
    {
        ServiceProvider provider = Services();
        try
        {
            var reloader = new GraphFileReloader(provider.GetRequiredService<GraphFileLoader>(), file, parameters);
            return (reloader.Load(), provider, reloader);
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    private static ServiceProvider Services() => PipelineServices.Create(static services =>
    {
        services.AddFlowRouting();
        services.AddFlowRouterStages();
    });

    /// <summary>
    /// router.json with a third port, <c>dmz</c> (192.168.200.2/24, input port 2), added the way
    /// the file's comment says: a port object like lan's, its entry in <c>interfaces</c>, its rx
    /// and tx stages, and the edges into classify and out of arp and arp_resolve.
    /// </summary>
    public static string WithDmz(string json)
    {
        var options = new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true };
        System.Text.Json.Nodes.JsonNode root = System.Text.Json.Nodes.JsonNode.Parse(json, documentOptions: options)!;
        System.Text.Json.Nodes.JsonObject parameters = root["parameters"]!.AsObject();
        var dmz = parameters["lan"]!.DeepClone().AsObject();
        dmz["interface"] = "flow-dmz";
        dmz["address"] = "192.168.200.2/24";
        dmz["mac"] = "02:00:00:00:03:01";
        dmz["input_port"] = 2;
        dmz["memif"]!["interface_id"] = 3;
        parameters["dmz"] = dmz;
        parameters["interfaces"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse(
            """{ "name": "dmz", "id": "${dmz.input_port}", "mac": "${dmz.mac}", "addresses": ["${dmz.address}"], "mtu": "${dmz.mtu}" }"""));
        parameters["dmz_port"] = System.Text.Json.Nodes.JsonNode.Parse(parameters["lan_port"]!.ToJsonString().Replace("${lan.", "${dmz.", StringComparison.Ordinal));
        System.Text.Json.Nodes.JsonObject stages = root["stages"]!.AsObject();
        stages["dmz_rx"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "type": "port_rx", "config": "${dmz_port}" }""");
        stages["dmz_tx"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "type": "port_tx", "config": "${dmz_port}" }""");
        System.Text.Json.Nodes.JsonArray edges = root["edges"]!.AsArray();
        edges.Add("dmz_rx -> classify");
        edges.Add("arp:dmz -> dmz_tx");
        edges.Add("arp_resolve:dmz -> dmz_tx");
        return root.ToJsonString();
    }
}
