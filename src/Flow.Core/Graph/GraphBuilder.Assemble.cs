using Flow.Internal;

namespace Flow;

public sealed partial class GraphBuilder
{
    /// <summary>
    /// Never more busy-polling workers than cores they can have: a spinner starved of its core by
    /// another spinner collapses throughput by orders of magnitude (DESIGN.md, measured). Such
    /// workers are switched to the yielding policy, with a warning.
    /// </summary>
    private static Dictionary<int, WorkerConfig> AvoidSharedCores(SortedDictionary<int, WorkerConfig> workers, IReadOnlyList<int> allowedCpus,
        List<string> warnings)
    {
        var configs = workers.ToDictionary(kv => kv.Key, kv => kv.Value);
        var busy = configs.Where(kv => kv.Value.Idle.Kind == IdleKind.BusyPoll).Select(kv => kv.Key).ToList();
        bool oversubscribed = busy.Count > allowedCpus.Count ||
            busy.Select(id => configs[id].Cpu).Where(c => c is not null).GroupBy(c => c).Any(g => g.Count() > 1);
        if (oversubscribed)
        {
            foreach (int id in busy)
            {
                configs[id] = configs[id] with { Idle = IdlePolicy.Yielding };
            }
            warnings.Add($"{busy.Count} busy-polling workers ({string.Join(", ", busy)}) would share {allowedCpus.Count} cpus; they were switched to the yielding idle policy");
        }
        return configs;
    }

    /// <summary>Wires the checked graph: local links and rings on the ports, stages on their workers in run order.</summary>
    private FlowGraph Assemble(Dictionary<int, WorkerConfig> configs, Dictionary<string, StageNode> nodes, Dictionary<int, List<StageNode>> order,
        Wiring wiring, List<string> warnings)
    {
        var rings = new List<RingLink>();
        // A stage fed by one edge only may run a batch sent to it in place (StageNode.RunOn); where
        // several edges meet, each pass's packets still gather into one batch (a tx stage then
        // kicks its device once, not once per feeding stage).
        var inbound = new Dictionary<StageNode, int>(ReferenceEqualityComparer.Instance);
        foreach ((OutputPort _, PortLink link) in wiring.Links)
        {
            inbound[link.Target] = inbound.GetValueOrDefault(link.Target) + 1;
        }
        foreach ((OutputPort output, PortLink link) in wiring.Links)
        {
            StageNode source = output.Node;
            if (!link.IsRing(source))
            {
                source.Ports[output.Port] = new LocalLink(link.Target, runsInPlace: inbound[link.Target] == 1);
            }
            else
            {
                var ring = new RingLink($"{source.Name}:{source.Descriptor.Ports[output.Port].Name}->{link.Target.Name}", source, output.Port,
                    link.Target, link.RingCapacity, link.BackPressure);
                source.Ports[output.Port] = ring;
                rings.Add(ring);
            }
        }
        var workers = new Worker[configs.Count];
        foreach ((int id, WorkerConfig config) in configs)
        {
            workers[id] = new Worker(id, config.Cpu, config.Idle, _clock, _burst);
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
            // A stage the running graph keeps is still its node's until the reload hands it over.
            node.Stage.Node ??= node;
        }
        var graph = new FlowGraph(workers, nodes.Values.ToArray(), rings.ToArray(), wiring.Edges, warnings, _clock, _logger, _drainTimeout)
        {
            Replaces = _replacing,
        };
        if (_logger is not null)
        {
            foreach (string warning in warnings)
            {
                FlowCoreLog.GraphWarning(_logger, warning);
            }
        }
        return graph;
    }
}
