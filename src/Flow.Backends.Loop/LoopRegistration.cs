using Microsoft.Extensions.DependencyInjection;

namespace Flow.Backends.Loop;

/// <summary>Registers <c>loop_rx</c>, <c>loop_tx</c>, <c>null_rx</c> and <c>null_tx</c>.</summary>
public static class LoopRegistration
{
    public static IServiceCollection AddFlowLoop(this IServiceCollection services)
    {
        services.AddFlowStage<LoopRx, LoopOptions>();
        services.AddFlowStage<LoopTx, LoopOptions>();
        services.AddFlowStage<NullRx>();
        services.AddFlowStage<NullTx>();
        return services;
    }
}
