using System.Reflection;
using Flow.Hosting.Internal;

namespace Flow.Hosting;

public sealed partial class GraphFileLoader
{
    /// <summary>Most shards a graph file may ask for.</summary>
    public const int MaxShards = 256;

    /// <summary>
    /// The top-level <c>shards</c>: a count, or a list of CPUs (one shard on each). Absent: one
    /// shard, the graph as declared. Every shard runs its own copy of every worker and stage.
    /// </summary>
    private static ShardPlan ReadShards(SourceNode root, List<WorkerEntry> workers, ErrorList errors)
    {
        SourceNode? node = root["shards"];
        if (node is null)
        {
            return ShardPlan.One;
        }
        if (node.Kind == SourceKind.Number)
        {
            int? count = ReadInt(root, "shards", 1, MaxShards, errors, required: true);
            return count is int n ? new ShardPlan(n, null, node) : ShardPlan.One;
        }
        if (node.Kind == SourceKind.Array && node.Items.Count is > 0 and <= MaxShards)
        {
            var cpus = new List<int>();
            foreach (SourceNode item in node.Items)
            {
                if (item.Kind == SourceKind.Number && int.TryParse(item.Text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int cpu) &&
                    cpu <= 4095)
                {
                    cpus.Add(cpu);
                }
                else
                {
                    errors.Add(item, $"expected a CPU number from 0 to 4095, found {item.Describe()}");
                }
            }
            if (cpus.Count != node.Items.Count)
            {
                return ShardPlan.One;
            }
            if (cpus.Distinct().Count() != cpus.Count)
            {
                errors.Add(node, "each shard needs a CPU of its own: a CPU is listed twice");
                return ShardPlan.One;
            }
            if (workers.Count > 1)
            {
                errors.Add(node, $"'shards' lists one CPU per shard, so each shard must be one worker; 'workers' declares {workers.Count}. " +
                    "Give a count instead (\"shards\": 2) to copy every worker into each shard");
                return ShardPlan.One;
            }
            return new ShardPlan(cpus.Count, cpus, node);
        }
        errors.Add(node, $"expected the number of shards (1 to {MaxShards}) or a list of CPUs, one per shard, like [2, 3], found {node.Describe()}");
        return ShardPlan.One;
    }

    /// <summary>
    /// In a graph of more than one shard: marks as one copy on shard 0's worker each port whose
    /// backend has no queues to give every shard (its options are not
    /// <see cref="IPortQueueOptions"/>; a <see cref="ShardDistributor"/> after its rx spreads the
    /// flows, every shard feeds its tx) and each stage type marked
    /// <see cref="SingleShardAttribute"/> (every shard feeds it through a ring; what it sends on
    /// goes to shard 0's copies). A stage fed only by such stages is one copy too: the other
    /// shards' copies would get nothing.
    /// </summary>
    private void CheckShardable(List<StageEntry> stages, List<EdgeEntry> edges, ShardPlan shards, Dictionary<string, StageRegistration> extra)
    {
        if (shards.Count == 1)
        {
            return;
        }
        IReadOnlyList<string> backends = PortStageTypes.Backends(_registry, extra);
        foreach (StageEntry entry in stages.Where(e => e.Registration is not null && e.ConfigOk))
        {
            StageDescriptor descriptor = entry.Registration!.Descriptor;
            string type = descriptor.TypeName;
            bool oneQueuePort = backends.Any(b => type == b + "_rx" || type == b + "_tx") && entry.Options is not IPortQueueOptions;
            entry.OneCopy = oneQueuePort || (descriptor.ClrType.GetCustomAttribute<SingleShardAttribute>() is not null
                && entry.Options is not IShardPlacementOptions { RunsOnce: false });
            entry.Distributed = oneQueuePort && descriptor.IsSource;
        }
        var byName = stages.ToDictionary(e => e.Name, StringComparer.Ordinal);
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (StageEntry entry in stages.Where(e => !e.OneCopy && e.Registration is not null && e.ConfigOk))
            {
                var inputs = edges.Where(e => e.Ok && e.To == entry.Name && byName.ContainsKey(e.Source.Stage)).Select(e => byName[e.Source.Stage]).ToList();
                if (inputs.Count > 0 && inputs.All(from => from.OneCopy && !from.Distributed))
                {
                    entry.OneCopy = changed = true;
                }
            }
        }
    }

    /// <summary>The stage after a one-queue rx that spreads its packets over the shards.</summary>
    private static string DistributorOf(string rx) => rx + "_to_shards";

    /// <summary>The options shard <paramref name="shard"/>'s copy of a stage is made from.</summary>
    private static object? OptionsForShard(object? options, int shard, ShardPlan shards) =>
        shards.Count > 1 && options is IPortQueueOptions queues ? queues.ForShard(shard, shards.Count) : options;

    /// <summary>Shards of a graph: how many, and the CPU of each when the file lists them.</summary>
    private sealed record ShardPlan(int Count, IReadOnlyList<int>? Cpus, SourceNode? Node)
    {
        public static readonly ShardPlan One = new(1, null, null);

        /// <summary>The name of shard <paramref name="shard"/>'s copy of stage <paramref name="name"/>.</summary>
        public string StageName(string name, int shard) => Count == 1 ? name : ShardNames.Of(name, shard);
    }
}
