using Microsoft.Extensions.Logging;

namespace Flow;

/// <summary>
/// Builds a graph in code:
/// <code>
/// using FlowGraph graph = new GraphBuilder()
///     .Add("gen", new Generator(options))
///     .Add("classify", new EtherClassifier())
///     .Add("count", new Counter())
///     .Add("sink", new NullSink())
///     .Add("drop", new Dropper())
///     .Connect("gen", "classify")
///     .Connect("classify:ipv4", "count")
///     .Connect("classify:other", "drop")
///     .Connect("count", "sink")
///     .Build();
/// </code>
/// Every problem is collected and reported at once by <see cref="Build"/> as a
/// <see cref="GraphValidationException"/> of <see cref="GraphError"/>s: unknown stages or ports, a port connected twice or
/// not at all, a port type the receiving stage does not accept, a stage placed twice, a cycle
/// within one worker, a CPU the machine does not have.
/// </summary>
public sealed partial class GraphBuilder
{
    /// <summary>Default capacity of the SPSC ring on an edge between workers.</summary>
    public const int DefaultRingCapacity = 1024;

    private readonly List<StagePlacement> _stages = [];
    private readonly List<EdgeRequest> _edges = [];
    private readonly Dictionary<int, WorkerConfig> _workers = [];
    private readonly List<GraphError> _errors = [];
    private IFlowClock _clock = MonotonicClock.Instance;
    private ILogger? _logger;
    private int _burst = Burst.Default;
    private TimeSpan _drainTimeout = TimeSpan.FromSeconds(5);
    private FlowGraph? _replacing;

    /// <summary>Declares a worker: the CPU to pin it to (none: let the OS place it) and its idle policy.</summary>
    public GraphBuilder Worker(int id, int? cpu = null, IdlePolicy? idle = null)
    {
        if (id < 0)
        {
            _errors.Add(new GraphError(GraphErrorKind.InvalidWorkerId, $"worker {id}: worker ids start at 0", Worker: id));
            return this;
        }
        if (!_workers.TryAdd(id, new WorkerConfig(cpu, idle ?? IdlePolicy.BusyPoll)))
        {
            _errors.Add(new GraphError(GraphErrorKind.WorkerDeclaredTwice, $"worker {id} is declared twice", Worker: id));
        }
        return this;
    }

    /// <summary>
    /// Builds the next version of <paramref name="running"/> for <see cref="FlowGraph.ReplaceAsync"/>:
    /// stages of the running graph may be placed again (they keep their state, counters and
    /// in-flight packets across the reload); the built graph cannot start on its own.
    /// </summary>
    public GraphBuilder Replacing(FlowGraph running)
    {
        ArgumentNullException.ThrowIfNull(running);
        _replacing = running;
        return this;
    }

    /// <summary>Places a stage under a unique name on a worker (worker 0 unless said).</summary>
    public GraphBuilder Add(string name, Stage stage, int worker = 0)
    {
        ArgumentNullException.ThrowIfNull(stage);
        if (string.IsNullOrWhiteSpace(name) || name.Contains(':'))
        {
            _errors.Add(new GraphError(GraphErrorKind.InvalidStageName,
                $"stage name '{name}' is not valid: it must be non-empty and contain no ':'", Stage: name));
        }
        _stages.Add(new StagePlacement(name, stage, worker));
        return this;
    }

    /// <summary>
    /// Connects <c>"stage:port"</c> (or <c>"stage"</c> when it has exactly one port) to the
    /// input of <paramref name="to"/>. Across workers the edge becomes an SPSC ring of
    /// <paramref name="ringCapacity"/> slots; when it is full the producer drops and counts
    /// (<c>ring_full</c>), or with <paramref name="backPressure"/> stops taking packets from its
    /// sources until the ring has room.
    /// </summary>
    public GraphBuilder Connect(string from, string to, int ringCapacity = DefaultRingCapacity, bool backPressure = false)
    {
        _edges.Add(new EdgeRequest(new EdgeDeclaration(_edges.Count, from, to), ringCapacity, backPressure, Feedback: false));
        return this;
    }

    /// <summary>
    /// Connects like <see cref="Connect"/>, through an SPSC ring of <paramref name="ringCapacity"/>
    /// slots even when both stages are on one worker: the packets reach <paramref name="to"/> on
    /// the worker's next pass, so the edge may close a loop there (a router's ICMP errors go back to
    /// its route lookup). The run order ignores it; a full ring drops and counts (<c>ring_full</c>),
    /// never back-pressure: a worker waiting for itself would never drain the ring.
    /// </summary>
    public GraphBuilder Feedback(string from, string to, int ringCapacity = DefaultRingCapacity)
    {
        _edges.Add(new EdgeRequest(new EdgeDeclaration(_edges.Count, from, to), ringCapacity, BackPressure: false, Feedback: true));
        return this;
    }

    /// <summary>
    /// Declares <paramref name="count"/> shards, each a copy of the graph <paramref name="declare"/>
    /// builds for it: called once per shard with that shard's <see cref="ShardScope"/>, it makes
    /// new stage instances (ports on the shard's own queue, <see cref="ShardScope.ForShard{T}"/>)
    /// and declares the shard's <paramref name="workersPerShard"/> workers. Nothing connects one
    /// shard to another unless the caller does so with the full names (<see cref="ShardNames"/>),
    /// except a copy's <see cref="IShardedStage.WriterPort"/>: <c>name@s:to_writer</c> is
    /// connected to <c>name@0</c>, as the graph file loader does.
    /// </summary>
    public GraphBuilder Shards(int count, Action<ShardScope> declare, int workersPerShard = 1)
    {
        ArgumentNullException.ThrowIfNull(declare);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workersPerShard, 1);
        int first = _stages.Count;
        for (int shard = 0; shard < count; shard++)
        {
            declare(new ShardScope(this, shard, count, workersPerShard));
        }
        foreach (StagePlacement copy in _stages.Skip(first).ToList())
        {
            if (IShardedStage.WriterEdge(copy.Name, copy.Stage) is (string from, string to))
            {
                Connect(from, to);
            }
        }
        return this;
    }

    /// <summary>The clock stages see in <see cref="Stage.Tick"/>.</summary>
    public GraphBuilder WithClock(IFlowClock clock)
    {
        _clock = clock;
        return this;
    }

    public GraphBuilder WithLogger(ILogger logger)
    {
        _logger = logger;
        return this;
    }

    /// <summary>Packets a source takes per poll (1 to 256).</summary>
    public GraphBuilder WithBurst(int burst)
    {
        if (burst < 1 || burst > Burst.Max)
        {
            _errors.Add(new GraphError(GraphErrorKind.InvalidBurst, $"burst {burst} is out of range: 1 to {Burst.Max}"));
        }
        _burst = Math.Clamp(burst, 1, Burst.Max);
        return this;
    }

    /// <summary>How long a drain may take before the graph stops with packets still queued.</summary>
    public GraphBuilder WithDrainTimeout(TimeSpan timeout)
    {
        _drainTimeout = timeout;
        return this;
    }

    /// <summary>
    /// Checks everything, then wires the graph. The phases each add what they find to one list,
    /// so every problem is reported at once; nothing is built unless the list stays empty.
    /// </summary>
    public FlowGraph Build()
    {
        var errors = new List<GraphError>(_errors);
        IReadOnlyList<int> allowedCpus = OsThread.AllowedCpus();

        Dictionary<string, StageNode> nodes = PlaceStages(errors);
        SortedDictionary<int, WorkerConfig> workers = ResolveWorkers(nodes, allowedCpus, errors);
        Wiring wiring = WireEdges(nodes, errors);
        CheckPortTypes(wiring.Links, errors);
        CheckEveryPortAndInputConnected(nodes, wiring, errors);
        Dictionary<int, List<StageNode>> order = OrderPerWorker(nodes, workers, wiring.Links, errors);
        if (errors.Count > 0)
        {
            throw new GraphValidationException(errors);
        }

        var warnings = new List<string>();
        Dictionary<int, WorkerConfig> configs = AvoidSharedCores(workers, allowedCpus, warnings);
        return Assemble(configs, nodes, order, wiring, warnings);
    }

    /// <summary>Stages: unique names, each instance once, not already in another graph, valid declarations.</summary>
    private Dictionary<string, StageNode> PlaceStages(List<GraphError> errors)
    {
        var nodes = new Dictionary<string, StageNode>(StringComparer.Ordinal);
        var instances = new Dictionary<Stage, string>(ReferenceEqualityComparer.Instance);
        foreach ((string name, Stage stage, int worker) in _stages)
        {
            if (nodes.ContainsKey(name))
            {
                errors.Add(new GraphError(GraphErrorKind.StageAddedTwice, $"stage '{name}' is added twice", Stage: name));
                continue;
            }
            if (instances.TryGetValue(stage, out string? first))
            {
                errors.Add(new GraphError(GraphErrorKind.StageInstanceReused,
                    $"stage '{name}' is the same instance as stage '{first}': a stage can be placed only once", Stage: name));
                continue;
            }
            if (stage.Node is not null && !(_replacing is not null && _replacing.Owns(stage.Node)))
            {
                errors.Add(new GraphError(GraphErrorKind.StageInAnotherGraph,
                    $"stage '{name}' is already placed in another graph as '{stage.Node.Name}'", Stage: name));
                continue;
            }
            if (!HasValidDeclarations(name, stage, errors))
            {
                continue;
            }
            if (worker < 0)
            {
                errors.Add(new GraphError(GraphErrorKind.StageWorkerInvalid,
                    $"stage '{name}': worker {worker} does not exist (worker ids start at 0)", Stage: name, Worker: worker));
                continue;
            }
            instances.Add(stage, name);
            nodes.Add(name, new StageNode(name, stage, worker));
        }
        return nodes;
    }

    /// <summary>
    /// Whether the stage's outputs, drop reasons and instance ports are declared validly: its
    /// <see cref="Stage.Descriptor"/> reflects over them on first read and throws on a bad one.
    /// </summary>
    private static bool HasValidDeclarations(string name, Stage stage, List<GraphError> errors)
    {
        try
        {
            return stage.Descriptor is not null;
        }
        catch (ArgumentException e)
        {
            errors.Add(new GraphError(GraphErrorKind.InvalidStageDeclaration, $"stage '{name}': {e.Message}", Stage: name));
            return false;
        }
    }

    /// <summary>Workers: the declared ones plus any a stage names, numbered without gaps, each on a CPU we may use.</summary>
    private SortedDictionary<int, WorkerConfig> ResolveWorkers(Dictionary<string, StageNode> nodes, IReadOnlyList<int> allowedCpus,
        List<GraphError> errors)
    {
        var workers = new SortedDictionary<int, WorkerConfig>(_workers);
        foreach (StageNode node in nodes.Values)
        {
            workers.TryAdd(node.Worker, new WorkerConfig(null, IdlePolicy.BusyPoll));
        }
        if (workers.Count == 0)
        {
            workers.Add(0, new WorkerConfig(null, IdlePolicy.BusyPoll));
        }
        int expected = 0;
        foreach (int id in workers.Keys)
        {
            if (id != expected)
            {
                errors.Add(new GraphError(GraphErrorKind.WorkerIdGap,
                    $"worker ids must be 0, 1, 2, … without gaps: worker {expected} is missing (found {string.Join(", ", workers.Keys)})", Worker: expected));
                break;
            }
            expected++;
        }
        foreach ((int id, WorkerConfig config) in workers)
        {
            if (config.Cpu is int cpu && !allowedCpus.Contains(cpu))
            {
                errors.Add(new GraphError(GraphErrorKind.CpuUnavailable,
                    $"worker {id}: cpu {cpu} is not available on this machine (available: {string.Join(", ", allowedCpus)})", Worker: id));
            }
        }
        return workers;
    }

    private readonly record struct StagePlacement(string Name, Stage Stage, int Worker);

    private readonly record struct EdgeRequest(EdgeDeclaration Declaration, int RingCapacity, bool BackPressure, bool Feedback);

    private readonly record struct WorkerConfig(int? Cpu, IdlePolicy Idle);

    /// <summary>One output of one stage: the key of <see cref="Wiring.Links"/>.</summary>
    private readonly record struct OutputPort(StageNode Node, int Port);

    /// <summary>
    /// Where an output leads; <see cref="RingCapacity"/> and <see cref="BackPressure"/> matter only
    /// across workers; <see cref="Declaration"/> is the edge that made it, for errors found later.
    /// </summary>
    private readonly record struct PortLink(StageNode Target, int RingCapacity, bool BackPressure, bool Feedback, EdgeDeclaration Declaration)
    {
        /// <summary>Through a ring: the edge crosses workers or is a feedback edge.</summary>
        public bool IsRing(StageNode source) => Feedback || source.Worker != Target.Worker;
    }

    /// <summary>The accepted edges: each output's link, the stages something leads into, and the edges as the built graph lists them.</summary>
    private sealed record Wiring(Dictionary<OutputPort, PortLink> Links, HashSet<StageNode> Inputs, List<EdgeInfo> Edges);
}
