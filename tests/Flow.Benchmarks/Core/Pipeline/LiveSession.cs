using Flow.Hosting;

namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>A live operation a pipeline variant runs while it is measured.</summary>
internal enum LiveOperation
{
    None,
    NoopObserver,
    Tracing,
    Capturing,
}

/// <summary>
/// Runs a <see cref="LiveOperation"/> on a measured graph the way a user does: a trace or a
/// capture through the graph's control socket (<c>flow ctl trace start</c>, <c>capture start</c>),
/// or a do-nothing observer attached before the start.
/// </summary>
internal sealed class LiveSession : IAsyncDisposable
{
    private readonly FlowGraph _graph;
    private readonly LiveOperation _operation;
    private readonly string _directory;
    private ControlEndpoint? _endpoint;

    private LiveSession(FlowGraph graph, LiveOperation operation)
    {
        _graph = graph;
        _operation = operation;
        _directory = operation is LiveOperation.Tracing or LiveOperation.Capturing ? Directory.CreateTempSubdirectory("flow-bench-live-").FullName : "";
    }

    public static async Task<LiveSession> BeforeStartAsync(FlowGraph graph, LiveOperation operation)
    {
        var session = new LiveSession(graph, operation);
        if (operation == LiveOperation.NoopObserver)
        {
            await graph.ObserveAsync("forward", new NoopObserver());
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
                new Dictionary<string, string> { ["edge"] = "forward:out", ["file"] = Path.Combine(_directory, "forward.pcapng") });
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
