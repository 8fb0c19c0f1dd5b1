using Microsoft.Extensions.DependencyInjection;

namespace Flow.Backends.AfXdp;

/// <summary>Registers the AF_XDP stages (<c>af_xdp_rx</c>, <c>af_xdp_tx</c>) with Flow's stage registry.</summary>
public static class AfXdpRegistration
{
    public static IServiceCollection AddFlowAfXdp(this IServiceCollection services)
    {
        services.AddFlowStage<AfXdpRx, AfXdpOptions>();
        services.AddFlowStage<AfXdpTx, AfXdpOptions>();
        return services;
    }
}
