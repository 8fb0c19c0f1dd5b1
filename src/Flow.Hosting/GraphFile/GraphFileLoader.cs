using System.Globalization;
using System.Reflection;
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
/// The loader reads the file in facets, one partial file each: <c>.Assemblies</c>,
/// <c>.Workers</c>, <c>.Stages</c> (reading and creating them), <c>.Edges</c>, and
/// <c>.Building</c>, which hands the result to the <see cref="GraphBuilder"/> and places its
/// <see cref="GraphError"/>s in the file by the stage, edge or worker each names.
/// <para>
/// <see cref="Load(string)"/> constructs every stage, so it opens devices, binds sockets and
/// runs code from <c>assemblies</c>: the graph file and those assemblies are trusted inputs of
/// whoever runs the graph (root, for most backends). <see cref="Check"/> is the dry run for
/// files that are not trusted yet (<c>flow validate</c>, <c>flow graph</c>).
/// </para>
/// </remarks>
public sealed partial class GraphFileLoader
{
    /// <summary>Largest graph file read, in bytes: real graphs are a few KiB, and the parsed tree costs a multiple of the file.</summary>
    public const int MaxFileBytes = 4 << 20;

    private static readonly string[] s_topKeys = ["$schema", "name", "description", "parameters", "assemblies", "workers", "shards", "stages", "edges"];

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

    /// <summary>Reads a file for <see cref="GraphFileReloader"/>: a first load, or the next version of the running graph in <paramref name="context"/>.</summary>
    internal FlowGraph LoadForReload(string path, IReadOnlyDictionary<string, string>? parameters, ReloadContext context) =>
        Load(ReadFile(path), path, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", parameters, check: null, context).Graph!;

    private (FlowGraph? Graph, GraphOutline? Outline) Load(byte[] utf8, string fileName, string baseDirectory, IReadOnlyDictionary<string, string>? parameters,
        GraphCheckOptions? check, ReloadContext? context = null)
    {
        var errors = new ErrorList(fileName);
        SourceNode root = ReadRoot(utf8, parameters, check, errors);

        Dictionary<string, StageRegistration> extra = LoadAssemblies(root["assemblies"], baseDirectory, errors);
        List<WorkerEntry> workers = ReadWorkers(root["workers"], errors);
        ShardPlan shards = ReadShards(root, workers, errors);
        List<StageEntry> stages = ReadStages(root, workers, extra, errors);
        List<EdgeEntry> edges = ReadEdges(root, stages, errors);
        CheckShardable(stages, edges, shards, extra);
        CreateStages(stages, shards, check, errors, context);
        FlowGraph? graph = BuildGraph(root, workers, shards, stages, edges, errors, context?.Running);

        if (errors.Count > 0)
        {
            if (graph is not null)
            {
                graph.Dispose();
            }
            else
            {
                foreach (Stage instance in stages.SelectMany(e => e.Instances).Where(i => context is null || !context.Kept.Contains(i)))
                {
                    (instance as IDisposable)?.Dispose();
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
    /// The parsed file with its parameters substituted. Errors that would leave nothing sensible
    /// to read further (size, syntax, not an object, bad parameters, refused assemblies) end the load here.
    /// </summary>
    private static SourceNode ReadRoot(byte[] utf8, IReadOnlyDictionary<string, string>? parameters, GraphCheckOptions? check, ErrorList errors)
    {
        if (utf8.Length > MaxFileBytes)
        {
            errors.Add(new SourcePosition(1, 1), "$", $"the file is larger than {MaxFileBytes >> 20} MiB, the limit for a graph file");
            throw new GraphFileException(errors.File, errors.Sorted());
        }
        SourceNode root;
        try
        {
            root = SourceNode.Parse(utf8);
        }
        catch (SourceSyntaxException e)
        {
            errors.Add(e.Position, "$", e.Message);
            throw new GraphFileException(errors.File, errors.Sorted());
        }
        if (root.Kind != SourceKind.Object)
        {
            errors.Add(root, $"expected an object with 'stages' and 'edges', found {root.Describe()}");
            throw new GraphFileException(errors.File, errors.Sorted());
        }
        CheckKeys(root, s_topKeys, "a graph file", errors);
        int beforeParameters = errors.Count;
        GraphParameters.Apply(root, parameters, errors);
        if (errors.Count > beforeParameters)
        {
            // Values that did not substitute would only echo as type errors further on.
            throw new GraphFileException(errors.File, errors.Sorted());
        }
        // An empty list loads nothing: router.json keeps its hook's assemblies in a parameter that is [] by default.
        if (check is { AllowAssemblies: false } && root["assemblies"] is { } assemblies && !(assemblies.Kind == SourceKind.Array && assemblies.Items.Count == 0))
        {
            // Stop here: the types they would have added would only echo as unknown types.
            errors.Add(assemblies, "refusing to load 'assemblies' while checking a graph: loading an assembly runs its code. " +
                "Allow it only for a graph file and assemblies you trust (flow validate/graph --allow-assemblies)");
            throw new GraphFileException(errors.File, errors.Sorted());
        }
        return root;
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

    /// <summary>The first line of an exception message, without .NET's " (Parameter 'x')" suffix.</summary>
    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        string line = end < 0 ? message : message[..end];
        return ParameterSuffix().Replace(line, "");
    }

    [GeneratedRegex(@" \(Parameter '[^']*'\)$")]
    private static partial Regex ParameterSuffix();
}
