using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flow;

/// <summary>Registers Flow and stage types with Microsoft.Extensions.DependencyInjection.</summary>
public static class FlowServiceCollectionExtensions
{
    /// <summary>Adds the stage registry and the built-in stages (generator, null_sink, counter, drop).</summary>
    public static IServiceCollection AddFlow(this IServiceCollection services)
    {
        services.TryAddSingleton<StageRegistry>();
        services.TryAddSingleton<IFlowClock>(MonotonicClock.Instance);
        services.TryAddSingleton<FlowMetrics>();
        services.AddFlowStage<Generator, GeneratorOptions>();
        services.AddFlowStage<NullSink>();
        services.AddFlowStage<Counter>();
        services.AddFlowStage<Dropper>();
        return services;
    }

    /// <summary>Registers a stage type without options under its <see cref="StageAttribute"/> name.</summary>
    public static IServiceCollection AddFlowStage<TStage>(this IServiceCollection services) where TStage : Stage
    {
        services.AddSingleton(new StageRegistration(StageDescriptor.Of(typeof(TStage)), null,
            static (provider, _) => ActivatorUtilities.CreateInstance<TStage>(provider)));
        return services;
    }

    /// <summary>
    /// Registers a stage type whose constructor takes <typeparamref name="TOptions"/> (bound
    /// from a graph file's <c>config</c>) and any services.
    /// </summary>
    public static IServiceCollection AddFlowStage<TStage, TOptions>(this IServiceCollection services)
        where TStage : Stage
        where TOptions : class, new()
    {
        services.AddSingleton(new StageRegistration(StageDescriptor.Of(typeof(TStage)), typeof(TOptions),
            static (provider, options) => ActivatorUtilities.CreateInstance<TStage>(provider, options ?? new TOptions())));
        return services;
    }
}
