using Flow.Hosting;

namespace Flow.Benchmarks.Infrastructure;

/// <summary>A live operation a pipeline variant runs while it is measured.</summary>
internal enum LiveOperation
{
    None,
    NoopObserver,
    Tracing,
    Capturing,
}

/// <summary>
/// Runs a <see cref="LiveOperation"/> on a measured graph the way a user does: a trace of 1000
/// packets or a capture of one edge to a pcapng file, through the graph's control socket
/// (<c>flow ctl trace start</c>, <c>capture start</c>), or a do-nothing observer on one stage,
/// attached before the start.
/// </summary>
internal sealed class LiveSession : IAsyncDisposable
{
    private readonly FlowGraph _graph;
    private readonly LiveOperation _operation;
    private readonly string _directory;
    private readonly string _edge;
    private ControlEndpoint? _endpoint;

    private LiveSession(FlowGraph graph, LiveOperation operation, string edge)
    {
        _graph = graph;
        _operation = operation;
        _edge = edge;
        _directory = operation is LiveOperation.Tracing or LiveOperation.Capturing ? Directory.CreateTempSubdirectory("flow-bench-live-").FullName : "";
    }

    /// <param name="graph">The measured graph, not started yet.</param>
    /// <param name="operation">What runs while it is measured.</param>
    /// <param name="edge">The edge a capture takes (<c>stage:port</c>); its stage carries the no-op observer.</param>
    public static async Task<LiveSession> BeforeStartAsync(FlowGraph graph, LiveOperation operation, string edge)
    {
        var session = new LiveSession(graph, operation, edge);
        if (operation == LiveOperation.NoopObserver)
        {
            await graph.ObserveAsync(edge.Split(':')[0], new NoopObserver());
        }
        return session;
    }

    public async Task AfterStartAsync()
    {
        if (_operation is not (LiveOperation.Tracing or LiveOperation.Capturing))
        {
            return;
        }
        _endpoint = ControlEndpoint.Start(Path.Combine(_directory, "bench.sock"), _graph);
        ControlResponse started = _operation == LiveOperation.Tracing
            ? await ControlClient.SendAsync(_endpoint.Path, "trace start", new Dictionary<string, string> { ["count"] = "1000" })
            : await ControlClient.SendAsync(_endpoint.Path, "capture start",
                new Dictionary<string, string> { ["edge"] = _edge, ["file"] = Path.Combine(_directory, "edge.pcapng") });
        if (!started.Ok)
        {
            throw new InvalidOperationException($"{_operation}: {started.Message}");
        }
    }

    /// <summary>Ends the operation; for a capture, what it wrote and dropped (its own summary).</summary>
    public async Task<string?> StopAsync()
    {
        if (_endpoint is null)
        {
            return null;
        }
        ControlResponse stopped = await ControlClient.SendAsync(_endpoint.Path, _operation == LiveOperation.Tracing ? "trace stop" : "capture stop");
        return _operation == LiveOperation.Capturing ? stopped.Message : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_endpoint is not null)
        {
            await _endpoint.DisposeAsync();
        }
        if (_directory.Length > 0)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private sealed class NoopObserver : BatchObserver
    {
        public override void OnExit(ReadOnlySpan<Packet> packets, ReadOnlySpan<Next> nexts)
        {
        }
    }
}
