using Flow.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow;

/// <summary>
/// A built, runnable graph: stages placed on workers, joined by direct calls within a worker
/// and SPSC rings between workers. Made by <see cref="GraphBuilder"/>.
/// </summary>
/// <remarks>
/// A coordinator thread (not on the data path) watches the workers: it turns a stop request,
/// a fault or the exhaustion of every source into a drain and then a stop, and completes
/// <see cref="Completion"/>.
/// </remarks>
public sealed partial class FlowGraph : IAsyncDisposable, IDisposable
{
    // Replaced as a whole by a reload (ReplaceAsync), while every worker is parked.
    private Worker[] _workers;
    private StageNode[] _nodes;
    private RingLink[] _rings;
    private Dictionary<string, StageNode> _byName;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lifecycle = new();
    private readonly TimeSpan _drainTimeout;
    private int _state;
    private int _stopRequested;
    private int _drainRequested;
    private int _workersAlive;
    private StageFaultException? _fault;
    private Thread? _coordinator;
    private bool _disposed;

    internal FlowGraph(Worker[] workers, StageNode[] nodes, RingLink[] rings, IReadOnlyList<EdgeInfo> edges,
        IReadOnlyList<string> warnings, IFlowClock clock, ILogger? logger, TimeSpan drainTimeout)
    {
        _workers = workers;
        _nodes = nodes;
        _rings = rings;
        Edges = edges;
        Warnings = warnings;
        Clock = clock;
        _logger = logger ?? NullLogger.Instance;
        _drainTimeout = drainTimeout;
        _byName = nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        foreach (Worker worker in workers)
        {
            worker.AttachTo(this);
        }
    }

    public GraphState State => (GraphState)Volatile.Read(ref _state);

    /// <summary>Things the builder changed or could not do, in sentences (e.g. a busy-poll worker switched to yielding).</summary>
    public IReadOnlyList<string> Warnings { get; private set; }

    public IReadOnlyList<EdgeInfo> Edges { get; private set; }

    public IReadOnlyList<StageInfo> Stages =>
        _nodes.Select(n => new StageInfo(n.Name, n.Descriptor.TypeName, n.Worker, n.Stage)).ToList();

    public IReadOnlyList<WorkerInfo> Workers =>
        _workers.Select(w => new WorkerInfo(w.Id, w.Cpu, w.Idle)).ToList();

    public IFlowClock Clock { get; }

    /// <summary>Completes when every worker has ended; faults with <see cref="StageFaultException"/> when a stage threw.</summary>
    public Task Completion => _completion.Task;

    public void Start()
    {
        lock (_lifecycle)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (State != GraphState.Built)
            {
                ThrowHelper.ThrowInvalidOperation($"the graph was already started (state {State})");
            }
            if (Replaces is not null)
            {
                ThrowHelper.ThrowInvalidOperation("this graph was built to replace a running one (GraphBuilder.Replacing): pass it to that graph's ReplaceAsync");
            }
            Volatile.Write(ref _state, (int)GraphState.Running);
            _workersAlive = _workers.Length;
            foreach (Worker worker in _workers)
            {
                worker.Start();
            }
            _coordinator = new Thread(Coordinate) { IsBackground = true, Name = "flow-coordinator" };
            _coordinator.Start();
        }
    }

    /// <summary>
    /// Stops the graph. With <paramref name="drain"/>, sources stop first and packets in flight
    /// are processed (up to the drain timeout); without, workers stop after their current pass.
    /// </summary>
    public Task StopAsync(bool drain = true)
    {
        lock (_lifecycle)
        {
            if (State == GraphState.Built)
            {
                Volatile.Write(ref _state, (int)GraphState.Stopped);
                _completion.TrySetResult();
                return Task.CompletedTask;
            }
        }
        if (drain)
        {
            Volatile.Write(ref _drainRequested, 1);
        }
        Volatile.Write(ref _stopRequested, 1);
        return Completion.ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    /// <summary>Starts, runs until every source is exhausted (or <paramref name="cancellationToken"/> fires), drains and stops.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        Start();
        using (cancellationToken.Register(() => StopAsync(drain: true)))
        {
            await Completion.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the worker that owns the stage, between batches, and
    /// returns its result: the way to read or change a stage's state while the graph runs.
    /// Before start and after stop it runs on the caller's thread.
    /// </summary>
    public Task<TResult> InvokeAsync<TStage, TResult>(string stageName, Func<TStage, TResult> action) where TStage : Stage
    {
        StageNode node = FindNode(stageName);
        if (node.Stage is not TStage stage)
        {
            throw new InvalidCastException($"stage '{stageName}' is a {node.Stage.GetType().Name}, not a {typeof(TStage).Name}");
        }
        var item = new ControlItem<TStage, TResult>(stage, action);
        lock (_lifecycle)
        {
            Worker worker = _workers[node.Worker];
            if (State is GraphState.Running or GraphState.Draining && worker.IsAlive)
            {
                worker.Control.Post(item);
                worker.Wakeup.Signal();
                return item.Reply;
            }
        }
        // No worker runs the stage: the caller's thread is the only one touching it.
        item.Execute();
        return item.Reply;
    }

    public Task InvokeAsync<TStage>(string stageName, Action<TStage> action) where TStage : Stage =>
        InvokeAsync<TStage, bool>(stageName, stage =>
        {
            action(stage);
            return true;
        });

    /// <summary>
    /// Attaches <paramref name="observer"/> to the batches of a stage (a capture, a trace). It
    /// runs on the stage's worker between batches, so the observer sees whole batches only.
    /// </summary>
    /// <param name="stageName">The stage to watch.</param>
    /// <param name="observer">What watches it.</param>
    /// <returns>Completes once the observer is attached.</returns>
    public Task ObserveAsync(string stageName, BatchObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        StageNode node = FindNode(stageName);
        return InvokeAsync<Stage>(stageName, _ => node.AddObserver(observer));
    }

    /// <summary>Detaches <paramref name="observer"/>; once the task completes the stage's worker never calls it again.</summary>
    /// <param name="stageName">The watched stage.</param>
    /// <param name="observer">The observer to detach.</param>
    /// <returns>Completes once the observer is detached.</returns>
    public Task StopObservingAsync(string stageName, BatchObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (!_byName.TryGetValue(stageName, out StageNode? node))
        {
            return Task.CompletedTask; // a reload removed the stage, and its observers with it
        }
        return InvokeAsync<Stage>(stageName, _ => node.RemoveObserver(observer));
    }

    /// <summary>The stage instance by name. Touch its state only through <see cref="InvokeAsync{TStage, TResult}"/> while running.</summary>
    public TStage GetStage<TStage>(string name) where TStage : Stage => (TStage)FindNode(name).Stage;

    public GraphStats GetStats()
    {
        var stages = new List<StageStats>(_nodes.Length);
        foreach (StageNode node in _nodes)
        {
            StageDescriptor d = node.Descriptor;
            var outs = new PortCount[d.Ports.Count];
            for (int p = 0; p < outs.Length; p++)
            {
                outs[p] = new PortCount(d.Ports[p].Name, node.OutOn(p));
            }
            var drops = new DropCount[d.DropReasons.Count];
            for (int r = 0; r < drops.Length; r++)
            {
                DropReasonDescriptor reason = d.DropReasons[r];
                drops[r] = new DropCount(reason.Symbol, reason.Description, reason.Severity, node.DropsFor(r));
            }
            long queued = node.Stage.IsSource ? 0 : node.Input.Count;
            stages.Add(new StageStats(node.Name, d.TypeName, node.Worker, node.In + queued, node.Emitted, node.Consumed,
                queued, node.Batches, node.NanosecondsPerPacket, outs, drops,
                node.Stage.IsSource ? new BurstHistogram(node.BurstSizes()) : null, d.Transmits));
        }
        var rings = _rings.Select(r => new RingStats(r.Name, $"{r.Source.Name}:{r.Source.Descriptor.Ports[r.SourcePort].Name}",
            r.Target.Name, r.Ring.Capacity, r.Ring.Count, r.Enqueued, r.Dequeued, r.Dropped)).ToList();
        var workers = _workers.Select(w => new WorkerStats(w.Id, w.Cpu, w.Idle.ToString(), w.Passes, w.BusyPasses, w.OsThreadId,
            w.BusyNanoseconds, w.ElapsedNanoseconds)).ToList();
        return new GraphStats(stages, rings, workers);
    }

    /// <summary>
    /// The counters of every device the graph's port stages read (<see cref="IDeviceCounters"/>),
    /// once per device. Each is read now, on the calling thread (a system call or a driver query
    /// each): for a metrics scrape or a control request, not for a data path.
    /// </summary>
    public IReadOnlyList<DeviceCounters> GetDeviceCounters()
    {
        var devices = new List<DeviceCounters>();
        foreach (StageNode node in _nodes)
        {
            if (node.Stage is IDeviceCounters counters && devices.TrueForAll(d => d.Device != counters.CounterDevice))
            {
                devices.Add(new DeviceCounters(node.Name, counters.CounterDevice, counters.ReadDeviceCounters()));
            }
        }
        return devices;
    }

    /// <summary>
    /// Runs one pass of worker <paramref name="worker"/> on the calling thread, for a graph that
    /// was built but not started: benchmarks measure the runtime this way without threads.
    /// </summary>
    internal int RunPassOnCallingThread(int worker)
    {
        if (State != GraphState.Built)
        {
            ThrowHelper.ThrowInvalidOperation("passes can be run by hand only on a graph that was not started");
        }
        return _workers[worker].RunPass(pollSources: true);
    }

    internal void ReportFault(StageFaultException fault)
    {
        if (Interlocked.CompareExchange(ref _fault, fault, null) is null)
        {
            FlowCoreLog.StageFaulted(_logger, fault.Stage, fault.Worker, fault.InnerException!);
        }
        Volatile.Write(ref _state, (int)GraphState.Stopping);
        WakeAll();
    }

    internal void WorkerExited(Worker worker)
    {
        if (worker.PinningProblem is { } problem)
        {
            FlowCoreLog.PinningFailed(_logger, problem);
        }
        Interlocked.Decrement(ref _workersAlive);
    }

    private void Coordinate()
    {
        long drainDeadline = long.MaxValue;
        long[] passes = new long[_workers.Length];
        long[] streaks = new long[_workers.Length];
        bool quietSeen = false;
        while (Volatile.Read(ref _workersAlive) > 0)
        {
            GraphState state = State;
            if (state == GraphState.Running)
            {
                bool stop = Volatile.Read(ref _stopRequested) != 0;
                if ((stop && Volatile.Read(ref _drainRequested) != 0) || (!stop && AllSourcesExhausted()))
                {
                    Volatile.Write(ref _state, (int)GraphState.Draining);
                    drainDeadline = Environment.TickCount64 + (long)_drainTimeout.TotalMilliseconds;
                    WakeAll();
                }
                else if (stop)
                {
                    Volatile.Write(ref _state, (int)GraphState.Stopping);
                    WakeAll();
                }
            }
            else if (state == GraphState.Draining)
            {
                if (passes.Length != _workers.Length)
                {
                    passes = new long[_workers.Length];
                    streaks = new long[_workers.Length];
                    quietSeen = false;
                }
                bool quiet = IsQuiescent(passes, streaks, ref quietSeen);
                if (quiet || Environment.TickCount64 > drainDeadline || Volatile.Read(ref _stopRequested) != 0 && Volatile.Read(ref _drainRequested) == 0)
                {
                    if (!quiet)
                    {
                        FlowCoreLog.DrainTimedOut(_logger, _drainTimeout.TotalMilliseconds);
                    }
                    Volatile.Write(ref _state, (int)GraphState.Stopping);
                    WakeAll();
                }
            }
            Thread.Sleep(1);
        }
        foreach (Worker worker in _workers.Concat(_retiredWorkers))
        {
            worker.Join();
        }
        StageFaultException? fault = Volatile.Read(ref _fault);
        Volatile.Write(ref _state, (int)(fault is null ? GraphState.Stopped : GraphState.Faulted));
        if (fault is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(fault);
        }
    }

    private bool AllSourcesExhausted()
    {
        bool any = false;
        foreach (StageNode node in _nodes)
        {
            if (node.Stage.IsSource)
            {
                any = true;
                if (!node.Stage.IsExhausted)
                {
                    return false;
                }
            }
        }
        return any;
    }

    /// <summary>
    /// Quiescent when, between two looks, every worker finished at least one pass and none did
    /// any work, and at the second look every ring and every input was empty. Workers sleeping in
    /// poll(2) do no passes, which counts as no work.
    /// </summary>
    private bool IsQuiescent(long[] passes, long[] streaks, ref bool haveFirstLook)
    {
        if (!haveFirstLook)
        {
            for (int i = 0; i < _workers.Length; i++)
            {
                passes[i] = _workers[i].Passes;
                streaks[i] = _workers[i].IdleStreak;
            }
            haveFirstLook = true;
            return false;
        }
        bool empty = _rings.All(r => r.Ring.IsEmpty && r.Buffer.Count == 0) && _nodes.All(n => n.Stage.IsSource || n.Input.Count == 0);
        bool quiet = true;
        for (int i = 0; i < _workers.Length; i++)
        {
            long p = _workers[i].Passes;
            long s = _workers[i].IdleStreak;
            bool alive = _workers[i].IsAlive;
            long ran = p - passes[i];
            // A pass still running at this look may have taken packets in before the drain began
            // (a worker preempted in the middle of one shows no progress): quiet takes a whole
            // pass since the last look, all idle, or a worker asleep in poll(2) between passes.
            if (alive && (streaks[i] == 0 || s - streaks[i] != ran || (ran == 0 && !_workers[i].IsSleeping)))
            {
                quiet = false;
            }
            passes[i] = p;
            streaks[i] = s;
        }
        return quiet && empty;
    }

    private void WakeAll()
    {
        foreach (Worker worker in _workers)
        {
            worker.Wakeup.Signal();
        }
    }

    private StageNode FindNode(string name) =>
        _byName.TryGetValue(name, out StageNode? node) ? node : throw new KeyNotFoundException($"the graph has no stage named '{name}'");

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        lock (_lifecycle)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        if (State is GraphState.Running or GraphState.Draining or GraphState.Stopping)
        {
            await StopAsync(drain: false).ConfigureAwait(false);
        }
        // Packets still queued go back to their pools before the stages that own those pools go.
        foreach (StageNode node in _nodes)
        {
            if (!node.Stage.IsSource)
            {
                node.Input.FreeAll();
            }
        }
        Span<Packet> scratch = new Packet[PacketBatch.DefaultCapacity];
        foreach (RingLink ring in _rings)
        {
            ring.Buffer.FreeAll();
            int n;
            while ((n = ring.Ring.Dequeue(scratch)) > 0)
            {
                PacketPools.Free(scratch.Slice(0, n));
            }
        }
        foreach (StageNode node in _nodes)
        {
            if (node.Stage.Node != node)
            {
                continue; // a stage a running graph kept for a reload that did not happen: still that graph's
            }
            (node.Stage as IDisposable)?.Dispose();
            node.Stage.Node = null;
        }
        foreach (Worker worker in _workers)
        {
            worker.Wakeup.Dispose();
        }
    }
}
