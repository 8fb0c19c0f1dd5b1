using System.CommandLine;

namespace Flow.Cli;

/// <summary>
/// <c>--allow-assemblies</c> for the commands that only check a graph file (<c>validate</c>,
/// <c>graph</c>): without it they refuse the file's <c>assemblies</c>, because loading one runs
/// its code and the file may not be trusted yet. <c>flow run</c> needs no flag: whoever runs a
/// graph trusts the file and what it loads.
/// </summary>
internal static class AllowAssembliesOption
{
    public static Option<bool> Create() => new("--allow-assemblies")
    {
        Description = "Load the graph file's 'assemblies' (this runs their code). Only for files and assemblies you trust.",
    };
}
