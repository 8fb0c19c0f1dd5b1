using System.Reflection;

namespace Flow.Hosting;

/// <summary>How <see cref="GraphFileLoader.Check"/> treats what a graph file could make it run.</summary>
public sealed class GraphCheckOptions
{
    /// <summary>
    /// Load the file's <c>assemblies</c> (which runs their code). Off by default: a checked file
    /// is not trusted yet. Their stage types are still not constructed.
    /// </summary>
    public bool AllowAssemblies { get; init; }

    /// <summary>
    /// Stage libraries besides Flow.Core and Flow.Hosting whose stages make no system calls and
    /// so may be constructed by the check — how a stage whose ports come from its options gets
    /// them. Never a backend.
    /// </summary>
    public IReadOnlyCollection<Assembly> PureStageLibraries { get; init; } = [];
}
