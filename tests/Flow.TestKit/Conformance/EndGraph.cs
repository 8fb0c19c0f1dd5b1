namespace Flow.TestKit.Conformance;

/// <summary>
/// The graph of one end of a pair: conformance sources feeding the end's tx stages, and the
/// end's rx stages feeding one <see cref="ConformanceSink"/>.
/// <code>
///   conformance_source(q) → tx(q)        rx(q) → conformance_sink
/// </code>
/// </summary>
public sealed class EndGraph : IDisposable
{
    private readonly ConformancePair _pair;
    private readonly GraphBuilder _builder = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding);
    private readonly List<ConformanceSource> _sources = [];
    // Backend stages are made when the graph is built, not when the test plans it: a file is read
    // only after it was written, and a peer that went away is made again.
    private readonly List<Action<GraphBuilder>> _wiring = [];
    private readonly HashSet<int> _txQueues = [];
    private bool _hasSink;
    private FlowGraph? _graph;
    private GraphStats? _final;

    public EndGraph(ConformancePair pair, PairEnd end, bool holdReceived = false)
    {
        _pair = pair;
        End = end;
        Sink = new ConformanceSink { Hold = holdReceived };
    }

    public PairEnd End { get; }

    public ConformanceSink Sink { get; }

    public IReadOnlyList<ConformanceSource> Sources => _sources;

    public long Sent => _sources.Sum(s => s.Sent);

    /// <summary>Sends <paramref name="source"/>'s frames on <paramref name="queue"/>; <paramref name="receiver"/> expects them.</summary>
    public void Send(int queue, ConformanceSource source, EndGraph receiver)
    {
        receiver.Sink.Expect(source);
        Send(queue, source);
    }

    /// <summary>Sends <paramref name="source"/>'s frames on <paramref name="queue"/> (several sources may share a queue).</summary>
    public void Send(int queue, ConformanceSource source)
    {
        _sources.Add(source);
        if (_txQueues.Add(queue))
        {
            _wiring.Add(builder => builder.Add($"tx{queue}", _pair.CreateTx(End, queue)));
        }
        _wiring.Add(builder => builder.Add($"source{source.Id}", source).Connect($"source{source.Id}", $"tx{queue}"));
    }

    /// <summary>Receives on <paramref name="queue"/> into <see cref="Sink"/>.</summary>
    public void Receive(int queue)
    {
        if (!_hasSink)
        {
            _builder.Add("sink", Sink);
            _hasSink = true;
        }
        _wiring.Add(builder => builder.Add($"rx{queue}", _pair.CreateRx(End, queue)).Connect($"rx{queue}", "sink"));
    }

    /// <summary>Makes the end's stages and graph (opening its sockets), without starting it.</summary>
    public void Build() => _graph ??= BuildGraph();

    public void Start()
    {
        Build();
        _graph!.Start();
    }

    private FlowGraph BuildGraph()
    {
        foreach (Action<GraphBuilder> wire in _wiring)
        {
            wire(_builder);
        }
        return _builder.Build();
    }

    /// <summary>Starts and runs until every source has sent its plan (a graph with sources only).</summary>
    public async Task RunToEndAsync()
    {
        _graph = BuildGraph();
        await _graph.RunAsync().WaitAsync(Waits.Limit);
    }

    public async Task StopAsync(bool drain = true)
    {
        if (_graph is not null)
        {
            await _graph.StopAsync(drain).WaitAsync(Waits.Limit);
        }
    }

    /// <summary>The graph's counters (the last ones once it is disposed).</summary>
    public GraphStats Stats => _graph?.GetStats() ?? _final ?? throw new InvalidOperationException($"the graph of end {End} was never built");

    public bool WasBuilt => _graph is not null || _final is not null;

    /// <summary>Drops counted by every stage of this end's graph.</summary>
    public long Dropped => WasBuilt ? Stats.Stages.Sum(s => s.DroppedTotal) : 0;

    /// <summary>Packets waiting in stage inputs and rings of this end's graph.</summary>
    public long Queued => WasBuilt ? Stats.Stages.Sum(s => s.Queued) : 0;

    public string Describe() => !WasBuilt ? $"{End}: not built" :
        $"{End}: {string.Join("; ", Stats.Stages.Select(s => $"{s.Name} in={s.In} out={s.OutTotal} consumed={s.Consumed} queued={s.Queued} drops=[{string.Join(",", s.Drops.Where(d => d.Packets > 0).Select(d => $"{d.Reason}={d.Packets}"))}]"))}; sink {Sink.Summary()}";

    /// <summary>Stops (without draining) if still running, and disposes the graph in the end's own namespace.</summary>
    public void Dispose()
    {
        if (_graph is null)
        {
            return;
        }
        _graph.StopAsync(drain: false).Wait(Waits.Limit);
        _final = _graph.GetStats();
        _pair.DisposeGraph(End, _graph);
        _graph = null;
    }
}
