using Flow.Hosting.Internal;

namespace Flow.Hosting;

/// <summary>
/// A graph file and the graph running from it, reloadable: <see cref="ReloadAsync"/> reads the
/// file again (or another) and switches the running graph to it with
/// <see cref="FlowGraph.ReplaceAsync"/>. A stage whose type and config are unchanged is kept
/// with its state; a changed config goes to the stage live when it takes it
/// (<see cref="IReconfigurableStage"/>), otherwise the stage is made anew; stages and edges
/// come and go as the file says. A file that does not load — a syntax error, a bad config, a
/// device that does not open — changes nothing: the exception says why.
/// </summary>
/// <remarks>
/// New and replaced stages are made while the running version still runs, so a changed port
/// opens its device before the old port closes it: a backend that holds a device exclusively
/// (an AF_XDP queue, a TAP interface, a memif socket it serves) refuses such a change; remove
/// the port in one reload and add it back in the next.
/// </remarks>
public sealed class GraphFileReloader
{
    private readonly GraphFileLoader _loader;
    private readonly IReadOnlyDictionary<string, string>? _parameters;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private IReadOnlyDictionary<string, LoadedStage> _loaded = new Dictionary<string, LoadedStage>();
    private FlowGraph? _graph;

    /// <param name="loader">Reads the file.</param>
    /// <param name="path">The graph file.</param>
    /// <param name="parameters">Parameters overridden on every load (<c>flow run --set</c>).</param>
    public GraphFileReloader(GraphFileLoader loader, string path, IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentException.ThrowIfNullOrEmpty(path);
        _loader = loader;
        Path = path;
        _parameters = parameters;
    }

    /// <summary>The file the running graph was loaded from last.</summary>
    public string Path { get; private set; }

    /// <summary>Loads the file the first time; the caller starts and owns the graph. Throws <see cref="GraphFileException"/> for a bad file.</summary>
    public FlowGraph Load()
    {
        if (_graph is not null)
        {
            throw new InvalidOperationException("the graph was loaded already; ReloadAsync loads the next version");
        }
        var context = new ReloadContext(null, _loaded);
        _graph = _loader.LoadForReload(Path, _parameters, context);
        _loaded = context.Loaded;
        return _graph;
    }

    /// <summary>
    /// Reads <paramref name="path"/> (default: the same file) with the same parameters and switches
    /// the running graph to it. Throws <see cref="GraphFileException"/> (or an I/O exception) when
    /// the file does not load, and <see cref="InvalidOperationException"/> when the graph is not
    /// running; nothing changed then.
    /// </summary>
    public async Task<GraphReload> ReloadAsync(string? path = null, CancellationToken cancellationToken = default)
    {
        FlowGraph graph = _graph ?? throw new InvalidOperationException("nothing to reload: Load the graph first");
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string file = path ?? Path;
            var context = new ReloadContext(graph, _loaded);
            FlowGraph next = _loader.LoadForReload(file, _parameters, context);
            GraphReload reload;
            try
            {
                reload = await graph.ReplaceAsync(next, context.Reconfigure, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await next.DisposeAsync().ConfigureAwait(false); // its own new stages only; the kept ones stay the running graph's
                throw;
            }
            _loaded = context.Loaded;
            Path = file;
            return reload;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }
}
