using Flow.Hosting;
using Flow.Stages;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Integration.Tests.Switching;

/// <summary>Loads the repository's pipelines/switch.json the way <c>flow run --set ...</c> does, with the backends it may use.</summary>
internal static class SwitchJson
{
    public static string Path => PipelineFiles.PathOf("switch.json");

    /// <summary>The switch with its parameters overridden (name or name.key → value, as <c>--set</c> takes them).</summary>
    public static FlowGraph Load(IReadOnlyDictionary<string, string> parameters)
    {
        using ServiceProvider provider = Services();
        return provider.GetRequiredService<GraphFileLoader>().Load(Path, parameters);
    }

    /// <summary>The services a switch graph loads with; a reloader needs them for as long as the graph runs.</summary>
    public static ServiceProvider Services() => PipelineServices.Create(static services => services.AddFlowSwitching());
}
