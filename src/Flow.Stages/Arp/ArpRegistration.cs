using Flow.Stages.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flow.Stages.Arp;

/// <summary>Registers the router's ARP stages with Flow's stage registry.</summary>
public static class ArpRegistration
{
    /// <summary>
    /// Adds <c>arp</c> and <c>arp_resolve</c> and the one <see cref="NeighbourTable"/> they share
    /// (whose /32 routes go into the application's <see cref="Ipv4RouteTable"/>, made with
    /// default sizes unless it registered its own).
    /// </summary>
    public static IServiceCollection AddFlowArp(this IServiceCollection services)
    {
        services.TryAddSingleton(static _ => new Ipv4RouteTable());
        services.TryAddSingleton(static provider => new NeighbourTable(provider.GetRequiredService<Ipv4RouteTable>()));
        services.AddFlowStage<ArpResponder, ArpResponderOptions>();
        services.AddFlowStage<ArpResolver, ArpResolverOptions>();
        return services;
    }
}
