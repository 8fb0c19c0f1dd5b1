using Microsoft.Extensions.DependencyInjection;

namespace Flow.Backends.Dpdk;

/// <summary>Registers <c>dpdk_rx</c> and <c>dpdk_tx</c> (and so <c>backend: "dpdk"</c> for <c>port_rx</c>/<c>port_tx</c>) with Flow's stage registry.</summary>
public static class DpdkRegistration
{
    public static IServiceCollection AddFlowDpdk(this IServiceCollection services)
    {
        services.AddFlowStage<DpdkRx, DpdkOptions>();
        services.AddFlowStage<DpdkTx, DpdkOptions>();
        return services;
    }
}
