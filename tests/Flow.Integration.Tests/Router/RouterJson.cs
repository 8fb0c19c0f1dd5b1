using Flow.Backends.AfPacket;
using Flow.Backends.AfXdp;
using Flow.Backends.Memif;
using Flow.Backends.Tap;
using Flow.Hosting;
using Flow.Stages;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Integration.Tests.Router;

/// <summary>Loads the repository's pipelines/router.json the way <c>flow run --set ...</c> does, with the backends it may use.</summary>
internal static class RouterJson
{
    public static string Path
    {
        get
        {
            string? directory = AppContext.BaseDirectory;
            while (directory is not null && !File.Exists(System.IO.Path.Combine(directory, "Flow.sln")))
            {
                directory = System.IO.Path.GetDirectoryName(directory);
            }
            return System.IO.Path.Combine(directory ?? throw new InvalidOperationException("Flow.sln not found"), "pipelines", "router.json");
        }
    }

    /// <summary>
    /// The router with its parameters overridden (name or name.key → value, as <c>--set</c> takes
    /// them), and the service provider that made it: it owns the route and neighbour tables the
    /// graph's stages share, so dispose it after the graph.
    /// </summary>
    public static (FlowGraph Graph, ServiceProvider Services) Load(IReadOnlyDictionary<string, string> parameters)
    {
        var services = new ServiceCollection();
        services.AddFlowHosting();
        services.AddFlowRouting();
        services.AddFlowRouterStages();
        services.AddFlowAfPacket();
        services.AddFlowAfXdp();
        services.AddFlowMemif();
        services.AddFlowTap();
        ServiceProvider provider = services.BuildServiceProvider();
        try
        {
            return (provider.GetRequiredService<GraphFileLoader>().Load(Path, parameters), provider);
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }
}
