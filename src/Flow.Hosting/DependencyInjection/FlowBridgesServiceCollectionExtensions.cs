using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flow.Hosting;

/// <summary>Registers the bridges between graphs and application code.</summary>
public static class FlowBridgesServiceCollectionExtensions
{
    /// <summary>Adds <see cref="FlowChannels"/> and the <c>channel_sink</c> / <c>channel_source</c> stage types.</summary>
    public static IServiceCollection AddFlowBridges(this IServiceCollection services)
    {
        services.AddFlow();
        services.TryAddSingleton<FlowChannels>();
        if (!services.Any(d => d.ServiceType == typeof(StageRegistration) && d.ImplementationInstance is StageRegistration { TypeName: "channel_sink" }))
        {
            services.AddFlowStage<ChannelSink, ChannelSinkOptions>();
            services.AddFlowStage<ChannelSource, ChannelSourceOptions>();
        }
        return services;
    }

    /// <summary>Registers every stage type of <paramref name="assembly"/> (see <see cref="StageAssemblyScanner"/>).</summary>
    public static IServiceCollection AddFlowStagesFrom(this IServiceCollection services, System.Reflection.Assembly assembly)
    {
        foreach (StageRegistration registration in StageAssemblyScanner.Scan(assembly))
        {
            services.AddSingleton(registration);
        }
        return services;
    }
}
