using Microsoft.Extensions.DependencyInjection;

namespace Flow.Backends.Tap;

/// <summary>Registers <c>tap_rx</c> and <c>tap_tx</c> with Flow's stage registry.</summary>
public static class TapRegistration
{
    public static IServiceCollection AddFlowTap(this IServiceCollection services)
    {
        services.AddFlowStage<TapRx, TapOptions>();
        services.AddFlowStage<TapTx, TapOptions>();
        return services;
    }
}
