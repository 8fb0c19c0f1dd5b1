using Microsoft.Extensions.DependencyInjection;

namespace Flow.Backends.Memif;

/// <summary>Registers the memif stages (<c>memif_rx</c>, <c>memif_tx</c>) with Flow's DI.</summary>
public static class MemifRegistration
{
    /// <summary>Adds <c>memif_rx</c> and <c>memif_tx</c>, both configured by <see cref="MemifOptions"/>.</summary>
    public static IServiceCollection AddFlowMemif(this IServiceCollection services)
    {
        services.AddFlowStage<MemifRx, MemifOptions>();
        services.AddFlowStage<MemifTx, MemifOptions>();
        return services;
    }
}
