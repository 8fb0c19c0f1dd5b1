using Flow.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Cli;

/// <summary>Loads a graph file for a command and turns every failure into printed lines and an exit code.</summary>
internal static class GraphLoading
{
    public static int TryLoad(IServiceProvider services, string path, out FlowGraph? graph) => TryLoad(services, path, null, out graph);

    /// <summary>Loads <paramref name="path"/> with its <c>parameters</c> overridden by <paramref name="parameters"/> (<c>--set</c>).</summary>
    public static int TryLoad(IServiceProvider services, string path, IReadOnlyDictionary<string, string>? parameters, out FlowGraph? graph)
    {
        FlowGraph? loaded = null;
        int code = Report(path, () => loaded = services.GetRequiredService<GraphFileLoader>().Load(path, parameters));
        graph = loaded;
        return code;
    }

    /// <summary>Loads the reloader's file through it, so that 'reload' and SIGHUP can apply a changed file later.</summary>
    public static int TryLoad(IServiceProvider services, GraphFileReloader reloader, out FlowGraph? graph)
    {
        FlowGraph? loaded = null;
        int code = Report(reloader.Path, () => loaded = reloader.Load());
        graph = loaded;
        return code;
    }

    /// <summary>
    /// Checks <paramref name="path"/> without constructing its backends (the dry run of
    /// <c>validate</c> and <c>graph</c>); <c>assemblies</c> only with <paramref name="allowAssemblies"/>.
    /// </summary>
    public static int TryCheck(IServiceProvider services, string path, IReadOnlyDictionary<string, string>? parameters, bool allowAssemblies,
        out GraphOutline? outline)
    {
        var options = new GraphCheckOptions { AllowAssemblies = allowAssemblies, PureStageLibraries = FlowCliServices.PureStageLibraries };
        GraphOutline? checkedGraph = null;
        int code = Report(path, () => checkedGraph = services.GetRequiredService<GraphFileLoader>().Check(path, parameters, options));
        outline = checkedGraph;
        return code;
    }

    private static int Report(string path, Action load)
    {
        if (!CliOutput.CheckReadable(path))
        {
            return ExitCodes.FileNotReadable;
        }
        try
        {
            load();
            return ExitCodes.Success;
        }
        catch (GraphFileException e)
        {
            foreach (GraphFileError error in e.Errors)
            {
                Console.Error.WriteLine(error.ToString());
            }
            CliOutput.Error($"{path} is not a valid graph file ({e.Errors.Count} error{(e.Errors.Count == 1 ? "" : "s")})");
            return ExitCodes.GraphInvalid;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            CliOutput.Error($"cannot read '{path}': {e.Message}");
            return ExitCodes.FileNotReadable;
        }
    }
}
