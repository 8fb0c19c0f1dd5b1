using Flow.Backends.AfPacket;
using Flow.Backends.AfXdp;
using Flow.Backends.Dpdk;
using Flow.Backends.Memif;
using Flow.Backends.Tap;
using Flow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Integration.Tests;

/// <summary>The services a shipped graph file loads with: hosting, its stages, and every backend its ports may name.</summary>
internal static class PipelineServices
{
    /// <param name="stages">Adds the graph's stage libraries (switching, routing).</param>
    public static ServiceProvider Create(Action<IServiceCollection> stages)
    {
        var services = new ServiceCollection();
        services.AddFlowHosting();
        stages(services);
        services.AddFlowAfPacket();
        services.AddFlowAfXdp();
        services.AddFlowDpdk();
        services.AddFlowMemif();
        services.AddFlowTap();
        return services.BuildServiceProvider();
    }
}
