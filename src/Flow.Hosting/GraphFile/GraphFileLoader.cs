using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Flow.Hosting.Internal;
using Flow.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Flow.Hosting;

/// <summary>
/// Loads a JSON graph file (format: docs/graph-format.md) into a built <see cref="FlowGraph"/>.
/// Stage types resolve through the <see cref="StageRegistry"/> in DI plus any <c>assemblies</c>
/// the file lists; each stage's <c>config</c> binds onto its options type. Every problem is
/// collected — syntax, structure, unknown types, config keys and values, edges, workers, and the
/// <see cref="GraphBuilder"/>'s own checks mapped back to the stage or edge that caused them —
/// and reported once as a <see cref="GraphFileException"/>.
/// </summary>
/// <remarks>
/// <see cref="Load(string)"/> constructs every stage, so it opens devices, binds sockets and
/// runs code from <c>assemblies</c>: the graph file and those assemblies are trusted inputs of
/// whoever runs the graph (root, for most backends). <see cref="Check"/> is the dry run for
/// files that are not trusted yet (<c>flow validate</c>, <c>flow graph</c>).
/// </remarks>
public sealed partial class GraphFileLoader
{
    /// <summary>Largest graph file read, in bytes: real graphs are a few KiB, and the parsed tree costs a multiple of the file.</summary>
    public const int MaxFileBytes = 4 << 20;

    private static readonly string[] s_topKeys = ["$schema", "name", "description", "parameters", "assemblies", "workers", "stages", "edges"];
    private static readonly string[] s_workerKeys = ["id", "cpu", "idle", "spins", "sleep_us", "timeout_ms"];
    private static readonly string[] s_stageKeys = ["type", "config", "worker"];
    private static readonly string[] s_edgeKeys = ["from", "to", "ring_capacity"];
    private static readonly string[] s_idlePolicies = ["busy_poll", "spin_then_sleep", "yielding", "event"];

    // Stage libraries a dry run may construct: no system calls (STYLE D9: only backends make them).
    private static readonly Assembly[] s_pureStageLibraries = [typeof(Stage).Assembly, typeof(GraphFileLoader).Assembly];

    private readonly IServiceProvider _services;
    private readonly StageRegistry _registry;
    private readonly ILogger _logger;

    public GraphFileLoader(IServiceProvider services, ILogger<GraphFileLoader>? logger = null)
    {
        _services = services;
        _registry = services.GetRequiredService<StageRegistry>();
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>Reads, checks and builds the graph in <paramref name="path"/>. I/O errors (missing file) propagate as they are.</summary>
    public FlowGraph Load(string path) => Load(path, null);

    /// <summary>
    /// Reads, checks and builds the graph in <paramref name="path"/> with some of its
    /// <c>parameters</c> overridden: name (or <c>name.key</c>) → value, where a value that parses
    /// as JSON is that JSON and anything else is a string (what <c>flow run --set</c> passes).
    /// </summary>
    public FlowGraph Load(string path, IReadOnlyDictionary<string, string>? parameters) =>
        Load(ReadFile(path), path, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", parameters, check: null).Graph!;

    /// <summary>Builds a graph from JSON text; <paramref name="fileName"/> names it in errors, <paramref name="baseDirectory"/> anchors relative assembly paths.</summary>
    public FlowGraph LoadText(string json, string fileName, string? baseDirectory = null) =>
        LoadText(json, fileName, baseDirectory, null);

    /// <summary>Builds a graph from JSON text with some of its <c>parameters</c> overridden (see <see cref="Load(string, IReadOnlyDictionary{string, string}?)"/>).</summary>
    public FlowGraph LoadText(string json, string fileName, string? baseDirectory, IReadOnlyDictionary<string, string>? parameters) =>
        Load(System.Text.Encoding.UTF8.GetBytes(json), fileName, baseDirectory ?? Directory.GetCurrentDirectory(), parameters, check: null).Graph!;

    /// <summary>
    /// The dry run: everything <see cref="Load(string, IReadOnlyDictionary{string, string}?)"/>
    /// checks — syntax, types, every stage's options bound, wiring, ports and their packet
    /// types, workers — with the same errors, but no backend stage is constructed: no socket is
    /// bound or unlinked, no program attached, no device created, no file opened. Those stages
    /// take part through their declarations (<see cref="StageDescriptor"/>), so a backend's own
    /// checks of its options, made in its constructor, run only when the graph is loaded for
    /// real. The file's <c>assemblies</c> are refused unless
    /// <see cref="GraphCheckOptions.AllowAssemblies"/>; stages from them are not constructed either.
    /// </summary>
    public GraphOutline Check(string path, IReadOnlyDictionary<string, string>? parameters, GraphCheckOptions options) =>
        Load(ReadFile(path), path, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", parameters, options).Outline!;

    /// <summary><see cref="Check"/> for JSON text.</summary>
    public GraphOutline CheckText(string json, string fileName, string? baseDirectory, GraphCheckOptions options) =>
        Load(System.Text.Encoding.UTF8.GetBytes(json), fileName, baseDirectory ?? Directory.GetCurrentDirectory(), null, options).Outline!;

    /// <summary>The file's bytes, reading no more than one past <see cref="MaxFileBytes"/> (a path may be /dev/zero).</summary>
    private static byte[] ReadFile(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while (bytes.Length <= MaxFileBytes && (read = file.Read(chunk, 0, chunk.Length)) > 0)
        {
            bytes.Write(chunk, 0, read);
        }
        return bytes.ToArray();
    }

    private (FlowGraph? Graph, GraphOutline? Outline) Load(byte[] utf8, string fileName, string baseDirectory, IReadOnlyDictionary<string, string>? parameters,
        GraphCheckOptions? check)
    {
        var errors = new ErrorList(fileName);
        if (utf8.Length > MaxFileBytes)
        {
            errors.Add(new SourcePosition(1, 1), "$", $"the file is larger than {MaxFileBytes >> 20} MiB, the limit for a graph file");
            throw new GraphFileException(fileName, errors.Sorted());
        }
        SourceNode root;
        try
        {
            root = SourceNode.Parse(utf8);
        }
        catch (SourceSyntaxException e)
        {
            errors.Add(e.Position, "$", e.Message);
            throw new GraphFileException(fileName, errors.Sorted());
        }
        if (root.Kind != SourceKind.Object)
        {
            errors.Add(root, $"expected an object with 'stages' and 'edges', found {root.Describe()}");
            throw new GraphFileException(fileName, errors.Sorted());
        }
        CheckKeys(root, s_topKeys, "a graph file", errors);
        int beforeParameters = errors.Count;
        GraphParameters.Apply(root, parameters, errors);
        if (errors.Count > beforeParameters)
        {
            // Values that did not substitute would only echo as type errors further on.
            throw new GraphFileException(fileName, errors.Sorted());
        }
        if (check is { AllowAssemblies: false } && root["assemblies"] is { } assemblies)
        {
            // Stop here: the types they would have added would only echo as unknown types.
            errors.Add(assemblies, "refusing to load 'assemblies' while checking a graph: loading an assembly runs its code. " +
                "Allow it only for a graph file and assemblies you trust (flow validate/graph --allow-assemblies)");
            throw new GraphFileException(fileName, errors.Sorted());
        }

        Dictionary<string, StageRegistration> extra = LoadAssemblies(root["assemblies"], baseDirectory, errors);
        List<WorkerEntry> workers = ReadWorkers(root["workers"], errors);
        List<StageEntry> stages = ReadStages(root, workers, extra, errors);
        List<EdgeEntry> edges = ReadEdges(root, stages, errors);

        // Make the stages whose type and config are good; a failed one is left out and the
        // builder's complaints that only echo its absence are filtered below. A dry run makes
        // stand-ins with the same declarations for the stages it must not construct.
        var created = new List<(StageEntry Entry, Stage Stage)>();
        foreach (StageEntry entry in stages)
        {
            if (entry.Registration is null || !entry.ConfigOk)
            {
                continue;
            }
            try
            {
                created.Add((entry, check is null || IsPure(entry.Registration, check)
                    ? entry.Registration.Create(_services, entry.Options)
                    : StageStandIns.Create(entry.Registration.Descriptor)));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A constructor that validates its options throws ArgumentException; a backend that
                // cannot open its device throws something else. Either way: this stage, this config.
                Exception cause = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
                errors.Add(entry.Config ?? entry.Node, cause is ArgumentException or FormatException
                    ? $"stage type '{entry.TypeName}' refused this config: {FirstLine(cause.Message)}"
                    : $"stage type '{entry.TypeName}' could not be created: {cause.GetType().Name}: {FirstLine(cause.Message)}");
            }
        }
        var present = new HashSet<string>(created.Select(c => c.Entry.Name), StringComparer.Ordinal);
        var missingInput = new HashSet<string>(StringComparer.Ordinal);
        var missingOutput = new HashSet<string>(StringComparer.Ordinal);
        foreach (EdgeEntry edge in edges)
        {
            if (!edge.Ok || !present.Contains(edge.FromStage))
            {
                missingInput.Add(edge.To);
            }
            if (!edge.Ok || !present.Contains(edge.To))
            {
                missingOutput.Add(edge.FromStage);
            }
        }
        bool anyStageFailed = present.Count != stages.Count || edges.Any(e => !e.Ok);

        var builder = new GraphBuilder().WithLogger(_logger);
        foreach (WorkerEntry worker in workers)
        {
            builder.Worker(worker.Id, worker.Cpu, worker.Idle);
        }
        foreach ((StageEntry entry, Stage stage) in created)
        {
            builder.Add(entry.Name, stage, entry.Worker);
        }
        foreach (EdgeEntry edge in edges)
        {
            if (edge.Ok && present.Contains(edge.FromStage) && present.Contains(edge.To))
            {
                builder.Connect(edge.From, edge.To, edge.RingCapacity);
            }
        }
        FlowGraph? graph = null;
        try
        {
            graph = builder.Build();
        }
        catch (GraphValidationException e)
        {
            foreach (string message in e.Errors)
            {
                if (anyStageFailed && IsEchoOfMissing(message, present, missingInput, missingOutput))
                {
                    continue;
                }
                MapBuilderError(message, root, workers, stages, edges, errors);
            }
        }
        if (errors.Count > 0)
        {
            if (graph is not null)
            {
                graph.Dispose();
            }
            else
            {
                foreach ((_, Stage stage) in created)
                {
                    (stage as IDisposable)?.Dispose();
                }
            }
            throw new GraphFileException(fileName, errors.Sorted());
        }
        if (check is null)
        {
            return (graph, null);
        }
        // A checked graph holds stand-ins that cannot run: only its outline leaves here.
        using (graph)
        {
            return (null, GraphOutline.Of(graph!));
        }
    }

    /// <summary>
    /// Whether a dry run may construct this stage: its type comes from a library without system
    /// calls. Those are constructed because some only know their ports from their options
    /// (<c>l2_forwarder</c> has one per switch port) and validate them in the constructor.
    /// </summary>
    private static bool IsPure(StageRegistration registration, GraphCheckOptions check)
    {
        Assembly assembly = registration.Descriptor.ClrType.Assembly;
        return s_pureStageLibraries.Contains(assembly) || check.PureStageLibraries.Contains(assembly);
    }

    private Dictionary<string, StageRegistration> LoadAssemblies(SourceNode? node, string baseDirectory, ErrorList errors)
    {
        var extra = new Dictionary<string, StageRegistration>(StringComparer.Ordinal);
        if (node is null)
        {
            return extra;
        }
        if (node.Kind != SourceKind.Array)
        {
            errors.Add(node, $"expected an array of assembly paths (relative to the graph file), found {node.Describe()}");
            return extra;
        }
        foreach (SourceNode item in node.Items)
        {
            if (item.Kind != SourceKind.String || item.Text.Length == 0)
            {
                errors.Add(item, $"expected an assembly path (relative to the graph file), found {item.Describe()}");
                continue;
            }
            string path = Path.GetFullPath(Path.Combine(baseDirectory, item.Text));
            if (!File.Exists(path))
            {
                errors.Add(item, $"assembly '{item.Text}' not found; paths are relative to the folder of the graph file");
                continue;
            }
            Assembly assembly;
            try
            {
                assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
            }
            catch (BadImageFormatException)
            {
                errors.Add(item, $"assembly '{item.Text}' is not a .NET assembly");
                continue;
            }
            catch (FileLoadException e)
            {
                errors.Add(item, $"assembly '{item.Text}' could not be loaded: {FirstLine(e.Message)}");
                continue;
            }
            IReadOnlyList<StageRegistration> found;
            try
            {
                found = StageAssemblyScanner.Scan(assembly);
            }
            catch (ArgumentException e)
            {
                errors.Add(item, $"assembly '{item.Text}' declares a stage that is not valid: {FirstLine(e.Message)}");
                continue;
            }
            if (found.Count == 0)
            {
                errors.Add(item, $"assembly '{item.Text}' has no stage types: expected public classes deriving from Stage with a [Stage(\"type_name\", \"help\")] attribute");
            }
            foreach (StageRegistration registration in found)
            {
                bool clash = (_registry.TryGet(registration.TypeName, out StageRegistration? known) && known.Descriptor.ClrType != registration.Descriptor.ClrType) ||
                    (extra.TryGetValue(registration.TypeName, out known) && known.Descriptor.ClrType != registration.Descriptor.ClrType);
                if (clash)
                {
                    errors.Add(item, $"assembly '{item.Text}': stage type name '{registration.TypeName}' ({registration.Descriptor.ClrType}) is already registered by {known!.Descriptor.ClrType}");
                    continue;
                }
                extra[registration.TypeName] = registration;
            }
        }
        return extra;
    }

    private static List<WorkerEntry> ReadWorkers(SourceNode? node, ErrorList errors)
    {
        var workers = new List<WorkerEntry>();
        var declared = new Dictionary<int, SourcePosition>();
        if (node is null)
        {
            return workers;
        }
        if (node.Kind != SourceKind.Array)
        {
            errors.Add(node, $"expected an array of workers like {{\"id\": 0, \"cpu\": 1, \"idle\": \"busy_poll\"}}, found {node.Describe()}");
            return workers;
        }
        foreach (SourceNode item in node.Items)
        {
            if (item.Kind != SourceKind.Object)
            {
                errors.Add(item, $"expected a worker object like {{\"id\": 0, \"cpu\": 1, \"idle\": \"busy_poll\"}}, found {item.Describe()}");
                continue;
            }
            CheckKeys(item, s_workerKeys, "a worker", errors);
            int before = errors.Count;
            int? id = ReadInt(item, "id", 0, 1023, errors, required: true);
            int? cpu = ReadInt(item, "cpu", 0, 4095, errors, required: false);
            IdlePolicy idle = ReadIdle(item, errors);
            if (id is int i && !declared.TryAdd(i, item.Position))
            {
                errors.Add(item["id"]!, $"worker {i} is declared twice (first at {declared[i]})");
                continue;
            }
            if (errors.Count == before && id is int workerId)
            {
                workers.Add(new WorkerEntry(workerId, cpu, idle, item));
            }
        }
        return workers;
    }

    private static IdlePolicy ReadIdle(SourceNode worker, ErrorList errors)
    {
        SourceNode? node = worker["idle"];
        string policy = "busy_poll";
        if (node is not null)
        {
            if (node.Kind != SourceKind.String || !s_idlePolicies.Contains(node.Text))
            {
                errors.Add(node, $"expected one of {string.Join(", ", s_idlePolicies.Select(p => $"\"{p}\""))}, found {node.Describe()}");
                return IdlePolicy.BusyPoll;
            }
            policy = node.Text;
        }
        int? spins = ReadInt(worker, "spins", 0, int.MaxValue, errors, required: false);
        int? sleepUs = ReadInt(worker, "sleep_us", 0, 1_000_000, errors, required: false);
        int? timeoutMs = ReadInt(worker, "timeout_ms", 1, 60_000, errors, required: false);
        void NotFor(string key, string allowedFor)
        {
            if (worker[key] is { } misplaced)
            {
                errors.Add(misplaced, $"'{key}' applies only to idle policy {allowedFor}, not \"{policy}\"");
            }
        }
        switch (policy)
        {
            case "spin_then_sleep":
                NotFor("timeout_ms", "\"event\"");
                return IdlePolicy.SpinThenSleep(spins ?? 1000, sleepUs is int us ? TimeSpan.FromMicroseconds(us) : null);
            case "event":
                NotFor("spins", "\"spin_then_sleep\"");
                NotFor("sleep_us", "\"spin_then_sleep\"");
                return IdlePolicy.Event(timeoutMs is int ms ? TimeSpan.FromMilliseconds(ms) : null);
            default:
                NotFor("spins", "\"spin_then_sleep\"");
                NotFor("sleep_us", "\"spin_then_sleep\"");
                NotFor("timeout_ms", "\"event\"");
                return policy == "yielding" ? IdlePolicy.Yielding : IdlePolicy.BusyPoll;
        }
    }

    private List<StageEntry> ReadStages(SourceNode root, List<WorkerEntry> workers, Dictionary<string, StageRegistration> extra, ErrorList errors)
    {
        var stages = new List<StageEntry>();
        SourceNode? node = root["stages"];
        if (node is null)
        {
            errors.Add(root, "missing key 'stages': expected an object naming each stage, like \"stages\": {\"gen\": {\"type\": \"generator\"}}");
            return stages;
        }
        if (node.Kind != SourceKind.Object)
        {
            errors.Add(node, $"expected an object naming each stage, like {{\"gen\": {{\"type\": \"generator\"}}}}, found {node.Describe()}");
            return stages;
        }
        if (node.Members.Count == 0)
        {
            errors.Add(node, "expected at least one stage");
        }
        foreach (SourceMember member in node.Members)
        {
            SourceNode value = member.Value;
            if (!StageNamePattern().IsMatch(member.Key))
            {
                errors.Add(member.KeyPosition, value.Path, $"stage name '{member.Key}' is not valid: expected letters, digits, '_', '-' or '.', starting with a letter or '_'");
                continue;
            }
            if (stages.FirstOrDefault(s => s.Name == member.Key) is { } first)
            {
                errors.Add(member.KeyPosition, value.Path, $"stage '{member.Key}' is declared twice (first at {first.Member.KeyPosition})");
                continue;
            }
            var entry = new StageEntry(member.Key, member);
            stages.Add(entry);
            if (value.Kind != SourceKind.Object)
            {
                errors.Add(value, $"expected a stage object like {{\"type\": \"counter\", \"config\": {{}}, \"worker\": 0}}, found {value.Describe()}");
                continue;
            }
            CheckKeys(value, s_stageKeys, "a stage", errors);
            int? worker = ReadInt(value, "worker", 0, 1023, errors, required: false);
            if (worker is int w && workers.Count > 0 && !workers.Any(x => x.Id == w))
            {
                errors.Add(value["worker"]!, $"worker {w} is not declared in 'workers' (declared: {string.Join(", ", workers.Select(x => x.Id))})");
                worker = null;
            }
            entry.Worker = worker ?? 0;
            entry.Config = value["config"];
            SourceNode? type = value["type"];
            if (type is null)
            {
                errors.Add(value, $"missing key 'type': expected a stage type name ({KnownTypes(extra)})");
                continue;
            }
            if (type.Kind != SourceKind.String)
            {
                errors.Add(type, $"expected a stage type name ({KnownTypes(extra)}), found {type.Describe()}");
                continue;
            }
            entry.TypeName = type.Text;
            StageRegistration? registration;
            if (PortStageTypes.IsPortType(type.Text))
            {
                (registration, entry.Config) = PortStageTypes.Resolve(type.Text, value, _registry, extra, errors);
                if (registration is null)
                {
                    continue;
                }
                entry.TypeName = registration.TypeName;
            }
            else if (!extra.TryGetValue(type.Text, out registration) && !_registry.TryGet(type.Text, out registration))
            {
                string? near = Naming.Nearest(type.Text, AllTypeNames(extra));
                errors.Add(type, $"unknown stage type '{type.Text}'" + (near is null ? "" : $" (did you mean '{near}'?)") +
                    $"; expected one of: {KnownTypes(extra)}. Stage types come from registered backends and from 'assemblies'");
                continue;
            }
            entry.Registration = registration;
            if (registration.OptionsType is null)
            {
                if (entry.Config is { Kind: SourceKind.Object } config && config.Members.Count > 0)
                {
                    foreach (SourceMember key in config.Members)
                    {
                        errors.Add(key.KeyPosition, key.Value.Path, $"unknown config key '{key.Key}' for stage type '{type.Text}'; expected one of: (none: this stage type takes no config keys)");
                    }
                }
                else if (entry.Config is { Kind: not (SourceKind.Object or SourceKind.Null) } bad)
                {
                    errors.Add(bad, $"expected an object (stage type '{type.Text}' takes no config keys), found {bad.Describe()}");
                }
                else
                {
                    entry.ConfigOk = true;
                }
                continue;
            }
            entry.Options = OptionsBinder.Bind(registration.OptionsType, entry.Config, value, entry.TypeName, errors);
            entry.ConfigOk = entry.Options is not null;
        }
        return stages;
    }

    private static List<EdgeEntry> ReadEdges(SourceNode root, List<StageEntry> stages, ErrorList errors)
    {
        var edges = new List<EdgeEntry>();
        SourceNode? node = root["edges"];
        if (node is null)
        {
            if (stages.Count > 1)
            {
                errors.Add(root, "missing key 'edges': expected an array of edges like \"gen -> count\" or {\"from\": \"classify:arp\", \"to\": \"arp\"}");
            }
            return edges;
        }
        if (node.Kind != SourceKind.Array)
        {
            errors.Add(node, $"expected an array of edges like \"gen -> count\" or {{\"from\": \"classify:arp\", \"to\": \"arp\"}}, found {node.Describe()}");
            return edges;
        }
        foreach (SourceNode item in node.Items)
        {
            string? from;
            string? to;
            int ringCapacity = GraphBuilder.DefaultRingCapacity;
            if (item.Kind == SourceKind.String)
            {
                int arrow = item.Text.IndexOf("->", StringComparison.Ordinal);
                if (arrow < 0 || item.Text.IndexOf("->", arrow + 2, StringComparison.Ordinal) >= 0)
                {
                    errors.Add(item, $"expected an edge \"stage[:port] -> stage\", found {item.Describe()}");
                    continue;
                }
                from = item.Text[..arrow].Trim();
                to = item.Text[(arrow + 2)..].Trim();
            }
            else if (item.Kind == SourceKind.Object)
            {
                CheckKeys(item, s_edgeKeys, "an edge", errors);
                from = ReadString(item, "from", "a source \"stage[:port]\"", errors);
                to = ReadString(item, "to", "a target stage name", errors);
                ringCapacity = ReadInt(item, "ring_capacity", 2, 1 << 24, errors, required: false) ?? ringCapacity;
                if (item["ring_capacity"] is { } capacityNode && !System.Numerics.BitOperations.IsPow2(ringCapacity))
                {
                    errors.Add(capacityNode, $"expected a power of two from 2 to {1 << 24}, found {capacityNode.Describe()}");
                }
                if (from is null || to is null)
                {
                    continue;
                }
            }
            else
            {
                errors.Add(item, $"expected an edge \"stage[:port] -> stage\" or {{\"from\": \"stage:port\", \"to\": \"stage\"}}, found {item.Describe()}");
                continue;
            }
            string fromStage = from.Contains(':') ? from[..from.IndexOf(':')] : from;
            string? port = from.Contains(':') ? from[(from.IndexOf(':') + 1)..] : null;
            var edge = new EdgeEntry(from, to, fromStage, port, ringCapacity, item);
            edges.Add(edge);
            if (!stages.Any(s => s.Name == fromStage))
            {
                errors.Add(item, $"edge {from} -> {to}: no stage named '{fromStage}'; expected one of: {StageNames(stages)}");
                edge.Ok = false;
            }
            if (to.Contains(':'))
            {
                errors.Add(item, $"edge {from} -> {to}: the target of an edge is a stage, not a port; expected \"{from} -> {to[..to.IndexOf(':')]}\"");
                edge.Ok = false;
            }
            else if (!stages.Any(s => s.Name == to))
            {
                errors.Add(item, $"edge {from} -> {to}: no stage named '{to}'; expected one of: {StageNames(stages)}");
                edge.Ok = false;
            }
        }
        return edges;
    }

    /// <summary>Maps a <see cref="GraphBuilder"/> sentence to the stage, edge or worker it is about.</summary>
    private static void MapBuilderError(string message, SourceNode root, List<WorkerEntry> workers, List<StageEntry> stages, List<EdgeEntry> edges, ErrorList errors)
    {
        Match edge = EdgePattern().Match(message);
        if (edge.Success)
        {
            string from = edge.Groups[1].Value;
            string to = edge.Groups[2].Value;
            string fromStage = from.Contains(':') ? from[..from.IndexOf(':')] : from;
            string? port = from.Contains(':') ? from[(from.IndexOf(':') + 1)..] : null;
            EdgeEntry? entry = edges.FirstOrDefault(e => e.From == from && e.To == to) ??
                edges.FirstOrDefault(e => e.FromStage == fromStage && e.To == to && (e.Port is null || e.Port == port));
            if (entry is not null)
            {
                errors.Add(entry.Node, message);
                return;
            }
        }
        Match stage = StagePattern().Match(message);
        if (stage.Success && stages.FirstOrDefault(s => s.Name == stage.Groups[1].Value) is { } stageEntry)
        {
            errors.Add(stageEntry.Member.KeyPosition, stageEntry.Member.Value.Path, message);
            return;
        }
        Match worker = WorkerPattern().Match(message);
        if (worker.Success && int.TryParse(worker.Groups[1].Value, CultureInfo.InvariantCulture, out int id))
        {
            if (workers.FirstOrDefault(w => w.Id == id) is { } workerEntry)
            {
                errors.Add(message.Contains(" cpu ", StringComparison.Ordinal) ? workerEntry.Node["cpu"] ?? workerEntry.Node : workerEntry.Node, message);
                return;
            }
            if (stages.FirstOrDefault(s => s.Worker == id) is { } placed)
            {
                errors.Add(placed.Member.Value["worker"] ?? placed.Member.Value, message);
                return;
            }
        }
        SourceNode at = message.StartsWith("worker", StringComparison.Ordinal) ? root["workers"] ?? root : root;
        errors.Add(at, message);
    }

    /// <summary>True for builder complaints that only exist because a stage failed to load (its edges were left out).</summary>
    private static bool IsEchoOfMissing(string message, HashSet<string> present, HashSet<string> missingInput, HashSet<string> missingOutput)
    {
        // A pass-through port (Carries.SameAsInput) whose stage lost its input carries Any.
        Match edge = EdgePattern().Match(message);
        if (edge.Success && message.Contains("carries Any but", StringComparison.Ordinal))
        {
            string from = edge.Groups[1].Value;
            return missingInput.Contains(from.Contains(':') ? from[..from.IndexOf(':')] : from);
        }
        Match stage = StagePattern().Match(message);
        if (!stage.Success)
        {
            return false;
        }
        string name = stage.Groups[1].Value;
        return (message.Contains("has no input", StringComparison.Ordinal) && missingInput.Contains(name)) ||
            (message.Contains("is not connected", StringComparison.Ordinal) && missingOutput.Contains(name)) ||
            !present.Contains(name);
    }

    private static void CheckKeys(SourceNode node, string[] allowed, string what, ErrorList errors)
    {
        var seen = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
        foreach (SourceMember member in node.Members)
        {
            if (!allowed.Contains(member.Key))
            {
                string? near = Naming.Nearest(member.Key, allowed);
                errors.Add(member.KeyPosition, member.Value.Path,
                    $"unknown key '{member.Key}' in {what}" + (near is null ? "" : $" (did you mean '{near}'?)") + $"; expected one of: {string.Join(", ", allowed)}");
            }
            else if (!seen.TryAdd(member.Key, member.KeyPosition))
            {
                errors.Add(member.KeyPosition, member.Value.Path, $"key '{member.Key}' is given twice (first at {seen[member.Key]})");
            }
        }
    }

    private static int? ReadInt(SourceNode parent, string key, int min, int max, ErrorList errors, bool required)
    {
        SourceNode? node = parent[key];
        if (node is null)
        {
            if (required)
            {
                errors.Add(parent, $"missing key '{key}': expected an integer from {min} to {max}");
            }
            return null;
        }
        if (node.Kind == SourceKind.Number && long.TryParse(node.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) &&
            value >= min && value <= max)
        {
            return (int)value;
        }
        errors.Add(node, $"expected an integer from {min} to {max}, found {node.Describe()}");
        return null;
    }

    private static string? ReadString(SourceNode parent, string key, string expected, ErrorList errors)
    {
        SourceNode? node = parent[key];
        if (node is null)
        {
            errors.Add(parent, $"missing key '{key}': expected {expected}");
            return null;
        }
        if (node.Kind != SourceKind.String || node.Text.Trim().Length == 0)
        {
            errors.Add(node, $"expected {expected}, found {node.Describe()}");
            return null;
        }
        return node.Text.Trim();
    }

    private IEnumerable<string> AllTypeNames(Dictionary<string, StageRegistration> extra) =>
        _registry.All.Select(r => r.TypeName).Concat(extra.Keys)
            .Concat(PortStageTypes.Backends(_registry, extra).Count > 0 ? PortStageTypes.Names : []).Distinct().Order(StringComparer.Ordinal);

    private string KnownTypes(Dictionary<string, StageRegistration> extra) => string.Join(", ", AllTypeNames(extra));

    private static string StageNames(List<StageEntry> stages) =>
        stages.Count == 0 ? "(no stages are declared)" : string.Join(", ", stages.Select(s => s.Name));

    /// <summary>The first line of an exception message, without .NET's " (Parameter 'x')" suffix.</summary>
    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        string line = end < 0 ? message : message[..end];
        return ParameterSuffix().Replace(line, "");
    }

    [GeneratedRegex(@" \(Parameter '[^']*'\)$")]
    private static partial Regex ParameterSuffix();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]*$")]
    private static partial Regex StageNamePattern();

    [GeneratedRegex(@"^edge (\S+) -> (\S+):")]
    private static partial Regex EdgePattern();

    [GeneratedRegex(@"^stage '([^']+)'")]
    private static partial Regex StagePattern();

    [GeneratedRegex(@"^worker (\d+)")]
    private static partial Regex WorkerPattern();

    private sealed record WorkerEntry(int Id, int? Cpu, IdlePolicy Idle, SourceNode Node);

    private sealed class StageEntry(string name, SourceMember member)
    {
        public string Name { get; } = name;

        public SourceMember Member { get; } = member;

        public SourceNode Node => Member.Value;

        public string? TypeName { get; set; }

        public SourceNode? Config { get; set; }

        public int Worker { get; set; }

        public StageRegistration? Registration { get; set; }

        public object? Options { get; set; }

        public bool ConfigOk { get; set; }
    }

    private sealed class EdgeEntry(string from, string to, string fromStage, string? port, int ringCapacity, SourceNode node)
    {
        public string From { get; } = from;

        public string To { get; } = to;

        public string FromStage { get; } = fromStage;

        public string? Port { get; } = port;

        public int RingCapacity { get; } = ringCapacity;

        public SourceNode Node { get; } = node;

        public bool Ok { get; set; } = true;
    }
}
