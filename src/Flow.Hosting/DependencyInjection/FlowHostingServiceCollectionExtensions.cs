using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Hosting;

/// <summary>Runs Flow graphs inside any .NET host (<c>Host.CreateApplicationBuilder()</c>, ASP.NET Core, a worker service).</summary>
public static class FlowHostingServiceCollectionExtensions
{
    /// <summary>
    /// Adds Flow (built-in stages, the graph-file loader, the channel bridges) without running a graph:
    /// what <c>flow validate</c> and tools need.
    /// </summary>
    public static IServiceCollection AddFlowHosting(this IServiceCollection services)
    {
        services.AddFlow();
        services.AddFlowBridges();
        services.TryAddSingleton(sp => new GraphFileLoader(sp, sp.GetService<ILogger<GraphFileLoader>>()));
        return services;
    }

    /// <summary>
    /// Runs the graph file at <paramref name="path"/> as a hosted service. Its stage types resolve
    /// through the stages registered in <paramref name="services"/>; a bad file fails the host's
    /// start with a <see cref="GraphFileException"/> listing every error. The service is also
    /// registered under the graph's name (keyed) so the app can reach the running graph.
    /// </summary>
    public static IServiceCollection AddFlowGraph(this IServiceCollection services, string path, Action<FlowGraphHostOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var options = new FlowGraphHostOptions { Name = Path.GetFileNameWithoutExtension(path) };
        configure?.Invoke(options);
        var parameters = new Dictionary<string, string>(options.Parameters, StringComparer.Ordinal);
        return services.AddFlowGraph(options, sp => sp.GetRequiredService<GraphFileLoader>().Load(path, parameters));
    }

    /// <summary>Runs a graph built in code as a hosted service; <paramref name="build"/> gets the app's services.</summary>
    public static IServiceCollection AddFlowGraph(this IServiceCollection services, Func<IServiceProvider, GraphBuilder> build, Action<FlowGraphHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        var options = new FlowGraphHostOptions();
        configure?.Invoke(options);
        return services.AddFlowGraph(options, sp =>
        {
            GraphBuilder builder = build(sp);
            if (sp.GetService<ILoggerFactory>() is { } loggers)
            {
                builder.WithLogger(loggers.CreateLogger("Flow.Graph"));
            }
            return builder.Build();
        });
    }

    private static IServiceCollection AddFlowGraph(this IServiceCollection services, FlowGraphHostOptions options, Func<IServiceProvider, FlowGraph> build)
    {
        services.AddFlowHosting();
        services.AddKeyedSingleton(options.Name, (sp, _) => new FlowHostedService(() => build(sp), options,
            sp.GetService<ILogger<FlowHostedService>>() ?? NullLogger<FlowHostedService>.Instance, sp.GetService<IHostApplicationLifetime>(),
            sp.GetService<FlowMetrics>(), sp.GetServices<IControlCommand>()));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredKeyedService<FlowHostedService>(options.Name));
        return services;
    }
}
