using Flow.Hosting.Internal;

namespace Flow.Hosting;

public sealed partial class GraphFileLoader
{
    /// <summary>
    /// Hands the workers, the stages that could be made and the edges between them to a
    /// <see cref="GraphBuilder"/>, and reports each <see cref="GraphError"/> it finds at the
    /// edge, stage or worker the error names. Null when the builder refused the graph.
    /// </summary>
    private FlowGraph? BuildGraph(SourceNode root, List<WorkerEntry> workers, ShardPlan shards, List<StageEntry> stages, List<EdgeEntry> edges, ErrorList errors,
        FlowGraph? replacing)
    {
        var made = stages.Where(s => s.Instance is not null).ToDictionary(s => s.Name, StringComparer.Ordinal);
        var builder = new GraphBuilder().WithLogger(_logger);
        if (replacing is not null)
        {
            builder.Replacing(replacing);
        }
        // calls[i] is the declared edge the builder's i-th Connect call copies (EdgeDeclaration.Index
        // names the call); null for a distributor's own input.
        var calls = new List<EdgeEntry?>();
        // Shard s runs its own copy of each declared worker w, as worker s × W + w.
        int perShard = Math.Max(1, workers.Count);
        for (int shard = 0; shard < shards.Count; shard++)
        {
            if (workers.Count == 0 && shards.Count > 1)
            {
                builder.Worker(shard, shards.Cpus?[shard]);
            }
            foreach (WorkerEntry worker in workers)
            {
                int? cpu = shards.Cpus is { } cpus ? cpus[shard] : worker.Cpu + shard * perShard;
                builder.Worker(shard * perShard + worker.Id, cpu, worker.Idle);
            }
            foreach (StageEntry entry in made.Values.Where(e => !e.OneCopy || shard == 0))
            {
                builder.Add(entry.OneCopy ? entry.Name : shards.StageName(entry.Name, shard), entry.Instances[shard], shard * perShard + entry.Worker);
                if (entry.Distributed)
                {
                    builder.Add(DistributorOf(entry.Name), new ShardDistributor(shards.Count), entry.Worker).Connect(entry.Name, DistributorOf(entry.Name));
                    calls.Add(null);
                }
            }
        }
        var connected = edges.Where(e => e.Ok && made.ContainsKey(e.Source.Stage) && made.ContainsKey(e.To)).ToList();
        foreach (EdgeEntry edge in connected)
        {
            StageEntry from = made[edge.Source.Stage];
            StageEntry to = made[edge.To];
            // A one-queue rx reaches shard s through its distributor; any other one-copy stage
            // sends to shard 0's copies; every shard feeds a one-copy stage.
            bool spread = from.Distributed && !to.OneCopy;
            for (int shard = 0; shard < shards.Count; shard++)
            {
                string source = from.OneCopy
                    ? spread ? $"{DistributorOf(from.Name)}:{ShardDistributor.PortOf(shard)}" : edge.From
                    : (edge.Source with { Stage = shards.StageName(edge.Source.Stage, shard) }).ToString();
                string target = to.OneCopy ? edge.To : shards.StageName(edge.To, shard);
                // A feedback edge between a shard's copy and a one-copy stage on another worker is
                // a ring between workers, which is what a feedback edge is on one.
                if (edge.Feedback && (shard == 0 || (!from.OneCopy && !to.OneCopy)))
                {
                    builder.Feedback(source, target, edge.RingCapacity);
                }
                else
                {
                    builder.Connect(source, target, edge.RingCapacity);
                }
                calls.Add(edge);
                if (from.OneCopy && !spread)
                {
                    break;
                }
            }
        }
        // A copy that reads a table shard 0's copy writes hands it what only the writer can do.
        foreach (StageEntry entry in made.Values.Where(e => e.Instances.Count > 1))
        {
            for (int shard = 1; shard < entry.Instances.Count; shard++)
            {
                if (IShardedStage.WriterEdge(shards.StageName(entry.Name, shard), entry.Instances[shard]) is (string from, string to))
                {
                    builder.Connect(from, to);
                    calls.Add(null);
                }
            }
        }
        try
        {
            return builder.Build();
        }
        catch (GraphValidationException e)
        {
            var leftOut = new LeftOutEdges(made, edges, anyLeftOut: made.Count != stages.Count || edges.Any(x => !x.Ok));
            // Shard 0's errors stand for every shard's: the copies are the same graph.
            foreach (GraphError error in e.Errors.Select(x => shards.Count == 1 ? x : Unsharded(x, calls, connected, perShard)).Distinct())
            {
                if (!leftOut.Explain(error))
                {
                    Report(error, root, workers, stages, connected, errors);
                }
            }
            return null;
        }
    }

    /// <summary>A builder error about a shard's copy, told about the declared stage, edge and worker.</summary>
    private static GraphError Unsharded(GraphError error, List<EdgeEntry?> calls, List<EdgeEntry> connected, int workersPerShard) => error with
    {
        Stage = error.Stage is null ? null : ShardNames.Split(error.Stage).Name,
        Edge = error.Edge is { } edge && calls[edge.Index] is { } declared
            ? new EdgeDeclaration(connected.IndexOf(declared), ShardSuffix().Replace(edge.From, ""), ShardSuffix().Replace(edge.To, ""))
            : null,
        Worker = error.Worker % workersPerShard,
        Message = ShardSuffix().Replace(error.Message, ""),
    };

    /// <summary>The "@s" of a shard's copy of a stage.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"@[0-9]+\b")]
    private static partial System.Text.RegularExpressions.Regex ShardSuffix();

    /// <summary>Adds a builder error at the edge, worker or stage it names; the file's root when it names none of them.</summary>
    private static void Report(GraphError error, SourceNode root, List<WorkerEntry> workers, List<StageEntry> stages, List<EdgeEntry> connected,
        ErrorList errors)
    {
        if (error.Edge is { } edge)
        {
            errors.Add(connected[edge.Index].Node, error);
            return;
        }
        StageEntry? stage = error.Stage is null ? null : stages.FirstOrDefault(s => s.Name == error.Stage);
        switch (error.Kind)
        {
            case GraphErrorKind.WorkerIdGap:
                errors.Add(root["workers"] ?? root, error);
                return;
            case GraphErrorKind.CpuUnavailable or GraphErrorKind.InvalidWorkerId or GraphErrorKind.WorkerDeclaredTwice or GraphErrorKind.Cycle
                when error.Worker is int id && workers.FirstOrDefault(w => w.Id == id) is { } worker:
                errors.Add(error.Kind == GraphErrorKind.CpuUnavailable ? worker.Node["cpu"] ?? worker.Node : worker.Node, error);
                return;
        }
        if (stage is not null)
        {
            errors.Add(stage.Member.KeyPosition, stage.Member.Value.Path, error);
            return;
        }
        errors.Add(error.Worker is null ? root : root["workers"] ?? root, error);
    }

    /// <summary>
    /// The edges the builder never saw because a stage at one of their ends failed to load or
    /// the edge itself was wrong. The builder's complaints that only follow from their absence
    /// (an input or output left unconnected, a pass-through port whose type is unknown without
    /// its input) are explained by those earlier errors and not reported again.
    /// </summary>
    private sealed class LeftOutEdges
    {
        private readonly Dictionary<string, StageEntry> _made;
        private readonly HashSet<string> _lostInput = new(StringComparer.Ordinal);
        private readonly HashSet<string> _lostOutput = new(StringComparer.Ordinal);

        public LeftOutEdges(Dictionary<string, StageEntry> made, List<EdgeEntry> edges, bool anyLeftOut)
        {
            _made = made;
            if (!anyLeftOut)
            {
                return;
            }
            foreach (EdgeEntry edge in edges)
            {
                if (!edge.Ok || !made.ContainsKey(edge.Source.Stage))
                {
                    _lostInput.Add(edge.To);
                }
                if (!edge.Ok || !made.ContainsKey(edge.To))
                {
                    _lostOutput.Add(edge.Source.Stage);
                }
            }
        }

        public bool Explain(GraphError error) => error.Kind switch
        {
            GraphErrorKind.NoInput => _lostInput.Contains(error.Stage!),
            GraphErrorKind.PortNotConnected => _lostOutput.Contains(error.Stage!),
            GraphErrorKind.PortTypeMismatch => _lostInput.Contains(error.Stage!) && IsPassThrough(error.Stage!, error.Port!),
            _ => false,
        };

        /// <summary>Whether the port carries whatever its stage receives (<see cref="Carries.SameAsInput"/>).</summary>
        private bool IsPassThrough(string stage, string port) =>
            _made.TryGetValue(stage, out StageEntry? entry) &&
            entry.Instance!.Descriptor.FindPort(port) is { } declared && declared.Carries == typeof(Carries.SameAsInput);
    }
}
