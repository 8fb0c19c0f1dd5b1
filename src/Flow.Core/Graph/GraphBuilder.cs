using Flow.Internal;
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
/// <see cref="GraphValidationException"/>: unknown stages or ports, a port connected twice or
/// not at all, a port type the receiving stage does not accept, a stage placed twice, a cycle
/// within one worker, a CPU the machine does not have.
/// </summary>
public sealed class GraphBuilder
{
    /// <summary>Default capacity of the SPSC ring on an edge between workers.</summary>
    public const int DefaultRingCapacity = 1024;

    private readonly List<(string Name, Stage Stage, int Worker)> _stages = [];
    private readonly List<(string From, string To, int RingCapacity, bool BackPressure)> _edges = [];
    private readonly Dictionary<int, (int? Cpu, IdlePolicy Idle)> _workers = [];
    private readonly List<string> _errors = [];
    private IFlowClock _clock = MonotonicClock.Instance;
    private ILogger? _logger;
    private int _burst = Burst.Default;
    private TimeSpan _drainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Declares a worker: the CPU to pin it to (none: let the OS place it) and its idle policy.</summary>
    public GraphBuilder Worker(int id, int? cpu = null, IdlePolicy? idle = null)
    {
        if (id < 0)
        {
            _errors.Add($"worker {id}: worker ids start at 0");
            return this;
        }
        if (!_workers.TryAdd(id, (cpu, idle ?? IdlePolicy.BusyPoll)))
        {
            _errors.Add($"worker {id} is declared twice");
        }
        return this;
    }

    /// <summary>Places a stage under a unique name on a worker (worker 0 unless said).</summary>
    public GraphBuilder Add(string name, Stage stage, int worker = 0)
    {
        ArgumentNullException.ThrowIfNull(stage);
        if (string.IsNullOrWhiteSpace(name) || name.Contains(':'))
        {
            _errors.Add($"stage name '{name}' is not valid: it must be non-empty and contain no ':'");
        }
        _stages.Add((name, stage, worker));
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
        _edges.Add((from, to, ringCapacity, backPressure));
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
            _errors.Add($"burst {burst} is out of range: 1 to {Burst.Max}");
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

    public FlowGraph Build()
    {
        var errors = new List<string>(_errors);
        var warnings = new List<string>();
        IReadOnlyList<int> allowedCpus = Interop.Sys.AllowedCpus();

        // Stages: unique names, each instance once, not already in another graph.
        var nodes = new Dictionary<string, StageNode>(StringComparer.Ordinal);
        var instances = new Dictionary<Stage, string>(ReferenceEqualityComparer.Instance);
        foreach ((string name, Stage stage, int worker) in _stages)
        {
            if (nodes.ContainsKey(name))
            {
                errors.Add($"stage '{name}' is added twice");
                continue;
            }
            if (instances.TryGetValue(stage, out string? first))
            {
                errors.Add($"stage '{name}' is the same instance as stage '{first}': a stage can be placed only once");
                continue;
            }
            if (stage.Node is not null)
            {
                errors.Add($"stage '{name}' is already placed in another graph as '{stage.Node.Name}'");
                continue;
            }
            StageDescriptor descriptor;
            try
            {
                descriptor = stage.Descriptor;
            }
            catch (ArgumentException e)
            {
                errors.Add($"stage '{name}': {e.Message}");
                continue;
            }
            _ = descriptor;
            if (worker < 0)
            {
                errors.Add($"stage '{name}': worker {worker} does not exist (worker ids start at 0)");
                continue;
            }
            instances.Add(stage, name);
            nodes.Add(name, new StageNode(name, stage, worker));
        }

        // Workers: declared ones plus any a stage names; every worker must have a CPU we may use.
        var workerConfigs = new SortedDictionary<int, (int? Cpu, IdlePolicy Idle)>(_workers);
        foreach (StageNode node in nodes.Values)
        {
            workerConfigs.TryAdd(node.Worker, (null, IdlePolicy.BusyPoll));
        }
        if (workerConfigs.Count == 0)
        {
            workerConfigs.Add(0, (null, IdlePolicy.BusyPoll));
        }
        int expected = 0;
        foreach (int id in workerConfigs.Keys)
        {
            if (id != expected)
            {
                errors.Add($"worker ids must be 0, 1, 2, … without gaps: worker {expected} is missing (found {string.Join(", ", workerConfigs.Keys)})");
                break;
            }
            expected++;
        }
        foreach ((int id, (int? cpu, _)) in workerConfigs)
        {
            if (cpu is int c && !allowedCpus.Contains(c))
            {
                errors.Add($"worker {id}: cpu {c} is not available on this machine (available: {string.Join(", ", allowedCpus)})");
            }
        }

        // Edges.
        var links = new Dictionary<(StageNode Node, int Port), (StageNode Target, int RingCapacity)>();
        var backPressured = new HashSet<(StageNode Node, int Port)>();
        var inputs = new HashSet<StageNode>();
        var edges = new List<EdgeInfo>();
        foreach ((string from, string to, int ringCapacity, bool backPressure) in _edges)
        {
            string edge = $"edge {from} -> {to}";
            string fromStage = from.Split(':')[0];
            string? fromPort = from.Contains(':') ? from[(from.IndexOf(':') + 1)..] : null;
            if (!nodes.TryGetValue(fromStage, out StageNode? source))
            {
                errors.Add($"{edge}: no stage named '{fromStage}'");
                continue;
            }
            if (!nodes.TryGetValue(to, out StageNode? target))
            {
                errors.Add($"{edge}: no stage named '{to}'" + (to.Contains(':') ? " (the target of an edge is a stage, not a port)" : ""));
                continue;
            }
            IReadOnlyList<PortDescriptor> ports = source.Descriptor.Ports;
            PortDescriptor? port;
            if (fromPort is null)
            {
                if (ports.Count != 1)
                {
                    errors.Add(ports.Count == 0
                        ? $"{edge}: stage '{fromStage}' ({source.Descriptor.TypeName}) has no output ports"
                        : $"{edge}: stage '{fromStage}' ({source.Descriptor.TypeName}) has ports {string.Join(", ", ports.Select(p => p.Name))}; name one as '{fromStage}:<port>'");
                    continue;
                }
                port = ports[0];
            }
            else
            {
                port = source.Descriptor.FindPort(fromPort);
                if (port is null)
                {
                    errors.Add($"{edge}: stage '{fromStage}' ({source.Descriptor.TypeName}) has no port '{fromPort}'" +
                        (ports.Count == 0 ? "; it has no output ports" : $"; its ports are {string.Join(", ", ports.Select(p => p.Name))}"));
                    continue;
                }
            }
            if (target.Stage.IsSource)
            {
                errors.Add($"{edge}: stage '{to}' ({target.Descriptor.TypeName}) is a source and takes no input");
                continue;
            }
            if (links.ContainsKey((source, port.Index)))
            {
                errors.Add($"{edge}: port '{fromStage}:{port.Name}' is already connected to '{links[(source, port.Index)].Target.Name}'; a port leads to one stage");
                continue;
            }
            bool crossesWorkers = source.Worker != target.Worker;
            if (crossesWorkers && (ringCapacity < 2 || !System.Numerics.BitOperations.IsPow2(ringCapacity)))
            {
                errors.Add($"{edge}: ring capacity {ringCapacity} must be a power of two, at least 2");
                continue;
            }
            links.Add((source, port.Index), (target, ringCapacity));
            if (backPressure)
            {
                backPressured.Add((source, port.Index));
            }
            inputs.Add(target);
            edges.Add(new EdgeInfo(fromStage, port.Name, to, crossesWorkers ? ringCapacity : 0, crossesWorkers && backPressure));
        }
        CheckPortTypes(links, errors);
        foreach (StageNode node in nodes.Values)
        {
            foreach (PortDescriptor port in node.Descriptor.Ports)
            {
                if (!links.ContainsKey((node, port.Index)))
                {
                    errors.Add($"stage '{node.Name}' ({node.Descriptor.TypeName}): port '{port.Name}' is not connected; connect it (to a 'drop' stage if its packets are unwanted)");
                }
            }
            if (!node.Stage.IsSource && !inputs.Contains(node))
            {
                errors.Add($"stage '{node.Name}' ({node.Descriptor.TypeName}) has no input: nothing is connected to it");
            }
        }

        // Run order per worker: topological over same-worker edges; a cycle there would recurse forever.
        var order = new Dictionary<int, List<StageNode>>();
        foreach (int id in workerConfigs.Keys)
        {
            order[id] = [];
        }
        foreach (IGrouping<int, StageNode> group in nodes.Values.GroupBy(n => n.Worker))
        {
            List<StageNode>? sorted = TopologicalOrder(group.ToList(), links, out List<string>? cycle);
            if (sorted is null)
            {
                errors.Add($"worker {group.Key}: stages {string.Join(" -> ", cycle!)} form a cycle; within one worker a graph must be acyclic (put one of them on another worker to close a loop through a ring)");
                continue;
            }
            order[group.Key] = sorted;
        }

        if (errors.Count > 0)
        {
            throw new GraphValidationException(errors);
        }

        // Never more busy-polling workers than cores they can have: a spinner starved of its core
        // by another spinner collapses throughput by orders of magnitude (DESIGN.md, measured).
        var configs = workerConfigs.ToDictionary(kv => kv.Key, kv => kv.Value);
        var busy = configs.Where(kv => kv.Value.Idle.Kind == IdleKind.BusyPoll).Select(kv => kv.Key).ToList();
        bool oversubscribed = busy.Count > allowedCpus.Count ||
            busy.Select(id => configs[id].Cpu).Where(c => c is not null).GroupBy(c => c).Any(g => g.Count() > 1);
        if (oversubscribed)
        {
            foreach (int id in busy)
            {
                configs[id] = (configs[id].Cpu, IdlePolicy.Yielding);
            }
            warnings.Add($"{busy.Count} busy-polling workers ({string.Join(", ", busy)}) would share {allowedCpus.Count} cpus; they were switched to the yielding idle policy");
        }

        return Assemble(configs, nodes, order, links, backPressured, edges, warnings);
    }

    private FlowGraph Assemble(Dictionary<int, (int? Cpu, IdlePolicy Idle)> configs, Dictionary<string, StageNode> nodes,
        Dictionary<int, List<StageNode>> order, Dictionary<(StageNode Node, int Port), (StageNode Target, int RingCapacity)> links,
        HashSet<(StageNode Node, int Port)> backPressured, List<EdgeInfo> edges, List<string> warnings)
    {
        var rings = new List<RingLink>();
        foreach (((StageNode source, int port), (StageNode target, int capacity)) in links)
        {
            if (source.Worker == target.Worker)
            {
                source.Ports[port] = new LocalLink(target);
            }
            else
            {
                var ring = new RingLink($"{source.Name}:{source.Descriptor.Ports[port].Name}->{target.Name}", source, port, target, capacity,
                    backPressured.Contains((source, port)));
                source.Ports[port] = ring;
                rings.Add(ring);
            }
        }
        var workers = new Worker[configs.Count];
        foreach ((int id, (int? cpu, IdlePolicy idle)) in configs)
        {
            workers[id] = new Worker(id, cpu, idle, _clock, _burst);
        }
        foreach (RingLink ring in rings)
        {
            ring.Consumer = workers[ring.Target.Worker];
        }
        foreach (Worker worker in workers)
        {
            List<StageNode> ordered = order[worker.Id];
            for (int i = 0; i < ordered.Count; i++)
            {
                ordered[i].Order = i;
            }
            worker.Assign(
                ordered.Where(n => n.Stage.IsSource).ToArray(),
                ordered.Where(n => !n.Stage.IsSource).ToArray(),
                rings.Where(r => r.Target.Worker == worker.Id).ToArray(),
                rings.Where(r => r.Source.Worker == worker.Id).ToArray());
        }
        foreach (StageNode node in nodes.Values)
        {
            node.Stage.Node = node;
        }
        var graph = new FlowGraph(workers, nodes.Values.ToArray(), rings.ToArray(), edges, warnings, _clock, _logger, _drainTimeout);
        if (_logger is not null)
        {
            foreach (string warning in warnings)
            {
                FlowCoreLog.GraphWarning(_logger, warning);
            }
        }
        return graph;
    }

    /// <summary>
    /// Checks each edge's carried type against what its target accepts. Pass-through ports
    /// (<see cref="Carries.SameAsInput"/>) carry the common type of every edge into their stage, found
    /// by iterating to a fixed point; a pass-through stage in a loop falls back to what it accepts.
    /// </summary>
    private static void CheckPortTypes(Dictionary<(StageNode Node, int Port), (StageNode Target, int RingCapacity)> links, List<string> errors)
    {
        var inputType = new Dictionary<StageNode, Type>(ReferenceEqualityComparer.Instance);
        Type? Carried(StageNode node, int port)
        {
            Type declared = node.Descriptor.Ports[port].Carries;
            if (declared != typeof(Carries.SameAsInput))
            {
                return declared;
            }
            return inputType.TryGetValue(node, out Type? input) ? input : null;
        }
        for (int round = 0; round <= links.Count; round++)
        {
            bool changed = false;
            foreach (IGrouping<StageNode, KeyValuePair<(StageNode Node, int Port), (StageNode Target, int RingCapacity)>> into in
                links.GroupBy(l => l.Value.Target))
            {
                Type? common = null;
                bool complete = true;
                foreach (var link in into)
                {
                    Type? carried = Carried(link.Key.Node, link.Key.Port);
                    if (carried is null)
                    {
                        complete = false;
                        break;
                    }
                    common = common is null ? carried : CommonBase(common, carried);
                }
                if (complete && common is not null && (!inputType.TryGetValue(into.Key, out Type? known) || known != common))
                {
                    inputType[into.Key] = common;
                    changed = true;
                }
            }
            if (!changed)
            {
                break;
            }
        }
        foreach (((StageNode source, int port), (StageNode target, _)) in links)
        {
            Type carried = Carried(source, port) ?? source.Descriptor.Accepts;
            if (!target.Descriptor.Accepts.IsAssignableFrom(carried))
            {
                errors.Add($"edge {source.Name}:{source.Descriptor.Ports[port].Name} -> {target.Name}: port '{source.Name}:{source.Descriptor.Ports[port].Name}' carries {carried.Name} but stage '{target.Name}' ({target.Descriptor.TypeName}) accepts {target.Descriptor.Accepts.Name}");
            }
        }
    }

    private static Type CommonBase(Type a, Type b)
    {
        Type? candidate = a;
        while (candidate is not null && !candidate.IsAssignableFrom(b))
        {
            candidate = candidate.BaseType;
        }
        return candidate ?? typeof(Carries.Any);
    }

    private static List<StageNode>? TopologicalOrder(List<StageNode> group,
        Dictionary<(StageNode Node, int Port), (StageNode Target, int RingCapacity)> links, out List<string>? cycle)
    {
        var successors = new Dictionary<StageNode, List<StageNode>>(ReferenceEqualityComparer.Instance);
        foreach (StageNode node in group)
        {
            successors[node] = [];
        }
        foreach (((StageNode source, _), (StageNode target, _)) in links)
        {
            if (source.Worker == target.Worker && successors.TryGetValue(source, out List<StageNode>? next))
            {
                next.Add(target);
            }
        }
        var walk = new TopologicalWalk(successors);
        foreach (StageNode start in group)
        {
            if (!walk.Visit(start))
            {
                cycle = walk.Cycle;
                return null;
            }
        }
        cycle = null;
        walk.Result.Reverse();
        return walk.Result;
    }

    /// <summary>Depth-first post-order walk that reports the first cycle it meets.</summary>
    private sealed class TopologicalWalk(Dictionary<StageNode, List<StageNode>> successors)
    {
        private readonly Dictionary<StageNode, int> _state = new(ReferenceEqualityComparer.Instance);
        private readonly List<StageNode> _path = [];

        public List<StageNode> Result { get; } = [];

        public List<string>? Cycle { get; private set; }

        public bool Visit(StageNode node)
        {
            _state.TryGetValue(node, out int state);
            if (state == 2)
            {
                return true;
            }
            if (state == 1)
            {
                Cycle = _path.Skip(_path.IndexOf(node)).Select(n => n.Name).Append(node.Name).ToList();
                return false;
            }
            _state[node] = 1;
            _path.Add(node);
            foreach (StageNode next in successors[node])
            {
                if (!Visit(next))
                {
                    return false;
                }
            }
            _path.RemoveAt(_path.Count - 1);
            _state[node] = 2;
            Result.Add(node);
            return true;
        }
    }
}
