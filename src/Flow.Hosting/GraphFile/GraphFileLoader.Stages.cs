using System.Reflection;
using System.Text.RegularExpressions;
using Flow.Hosting.Internal;
using Flow.Internal;

namespace Flow.Hosting;

public sealed partial class GraphFileLoader
{
    private static readonly string[] s_stageKeys = ["type", "config", "worker"];

    /// <summary>The <c>stages</c> object: each stage's name, worker, type and options bound from its <c>config</c>.</summary>
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

    /// <summary>
    /// Makes the stages whose type and config are good; a failed one is left out, with its error
    /// at its config. A dry run makes stand-ins with the same declarations for the stages it must
    /// not construct.
    /// </summary>
    private void CreateStages(List<StageEntry> stages, ShardPlan shards, GraphCheckOptions? check, ErrorList errors, ReloadContext? context)
    {
        // Shard by shard: each shard's stages are allocated together, so that the counters one
        // worker writes per batch do not share cache lines with another shard's copy of the
        // same stage (made next to it, they would).
        var made = new List<(StageEntry Entry, string Config)>();
        foreach (StageEntry entry in stages)
        {
            if (entry.Registration is null || !entry.ConfigOk)
            {
                continue;
            }
            string config = entry.Config?.Canonical() ?? "null";
            if (context is not null && TryKeep(entry, config, shards, context))
            {
                context.Loaded[entry.Name] = new LoadedStage(entry.TypeName!, config, entry.OneCopy, entry.Instances.ToArray());
                continue;
            }
            if (TryMakeCopy(entry, 0, shards, check, errors))
            {
                made.Add((entry, config));
            }
        }
        for (int shard = 1; shard < shards.Count; shard++)
        {
            foreach ((StageEntry entry, _) in made.Where(m => !m.Entry.OneCopy && m.Entry.Instances.Count == shard))
            {
                TryMakeCopy(entry, shard, shards, check, errors);
            }
        }
        if (context is not null)
        {
            foreach ((StageEntry entry, string config) in made.Where(m => m.Entry.Instances.Count > 0))
            {
                context.Loaded[entry.Name] = new LoadedStage(entry.TypeName!, config, entry.OneCopy, entry.Instances.ToArray());
            }
        }
    }

    /// <summary>
    /// Makes shard <paramref name="shard"/>'s copy of an entry; when that fails, reports it at
    /// the entry's config and disposes the copies made before, so the entry is left out.
    /// </summary>
    private bool TryMakeCopy(StageEntry entry, int shard, ShardPlan shards, GraphCheckOptions? check, ErrorList errors)
    {
        try
        {
            // Copies that share a table with one writer come from shard 0's copy (IShardedStage).
            entry.Instances.Add(check is not null && !IsPure(entry.Registration!, check) ? StageStandIns.Create(entry.Registration!.Descriptor)
                : shard > 0 && entry.Instances[0] is IShardedStage first ? first.CopyForShard(shard, shards.Count)
                : entry.Registration!.Create(_services, OptionsForShard(entry.Options, shard, shards)));
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A constructor that validates its options throws ArgumentException; a backend that
            // cannot open its device throws something else. Either way: this stage, this config.
            Exception cause = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
            errors.Add(entry.Config ?? entry.Node, cause is ArgumentException or FormatException
                ? $"stage type '{entry.TypeName}' refused this config: {FirstLine(cause.Message)}"
                : $"stage type '{entry.TypeName}' could not be created: {cause.GetType().Name}: {FirstLine(cause.Message)}");
            foreach (Stage made in entry.Instances)
            {
                (made as IDisposable)?.Dispose();
            }
            entry.Instances.Clear();
            return false;
        }
    }

    /// <summary>
    /// A reload: reuses the running graph's instances of this entry when its type, shard layout
    /// and config are the same, or when only its config changed and every instance takes the new
    /// one live (<see cref="IReconfigurableStage"/>); otherwise the entry is made anew.
    /// </summary>
    private static bool TryKeep(StageEntry entry, string config, ShardPlan shards, ReloadContext context)
    {
        int copies = entry.OneCopy ? 1 : shards.Count;
        if (context.Running is null || !context.Previous.TryGetValue(entry.Name, out LoadedStage? previous) ||
            previous.TypeName != entry.TypeName || previous.OneCopy != entry.OneCopy || previous.Instances.Count != copies)
        {
            return false;
        }
        if (previous.Config != config)
        {
            for (int shard = 0; shard < copies; shard++)
            {
                object? options = OptionsForShard(entry.Options, shard, shards);
                if (options is null || previous.Instances[shard] is not IReconfigurableStage live || live.CheckReconfigure(options) is not null)
                {
                    return false;
                }
            }
            for (int shard = 0; shard < copies; shard++)
            {
                context.Reconfigure[entry.OneCopy ? entry.Name : shards.StageName(entry.Name, shard)] = OptionsForShard(entry.Options, shard, shards)!;
            }
        }
        entry.Instances.AddRange(previous.Instances);
        foreach (Stage kept in previous.Instances)
        {
            context.Kept.Add(kept);
        }
        return true;
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

    private IEnumerable<string> AllTypeNames(Dictionary<string, StageRegistration> extra) =>
        _registry.All.Select(r => r.TypeName).Concat(extra.Keys)
            .Concat(PortStageTypes.Backends(_registry, extra).Count > 0 ? PortStageTypes.Names : []).Distinct().Order(StringComparer.Ordinal);

    private string KnownTypes(Dictionary<string, StageRegistration> extra) => string.Join(", ", AllTypeNames(extra));

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]*$")]
    private static partial Regex StageNamePattern();

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

        /// <summary>
        /// In a sharded graph, a stage made once, on shard 0's worker: a port whose backend has
        /// no queues, or a stage type whose state one worker must own (<see cref="SingleShardAttribute"/>).
        /// </summary>
        public bool OneCopy { get; set; }

        /// <summary>A one-copy rx of a port without queues: a <see cref="ShardDistributor"/> spreads what it receives over the shards.</summary>
        public bool Distributed { get; set; }

        /// <summary>The stage made from this entry (a stand-in in a dry run); null when its type, config or constructor failed.</summary>
        public Stage? Instance => Instances.Count > 0 ? Instances[0] : null;

        /// <summary>Every shard's copy, shard 0's first; empty when the stage could not be made.</summary>
        public List<Stage> Instances { get; } = [];
    }
}
