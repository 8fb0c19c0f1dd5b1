namespace Flow;

public sealed partial class GraphBuilder
{
    /// <summary>Run order per worker: topological over same-worker edges but feedback ones; a cycle there would recurse forever.</summary>
    private static Dictionary<int, List<StageNode>> OrderPerWorker(Dictionary<string, StageNode> nodes, SortedDictionary<int, WorkerConfig> workers,
        Dictionary<OutputPort, PortLink> links, List<GraphError> errors)
    {
        var order = new Dictionary<int, List<StageNode>>();
        foreach (int id in workers.Keys)
        {
            order[id] = [];
        }
        foreach (IGrouping<int, StageNode> group in nodes.Values.GroupBy(n => n.Worker))
        {
            List<StageNode>? sorted = TopologicalOrder(group.ToList(), links, out List<string>? cycle);
            if (sorted is null)
            {
                errors.Add(new GraphError(GraphErrorKind.Cycle,
                    $"worker {group.Key}: stages {string.Join(" -> ", cycle!)} form a cycle; within one worker a graph must be acyclic (close the loop with a feedback edge, which hands packets over on the next pass, or put one of them on another worker)",
                    Stage: cycle![0], Worker: group.Key));
                continue;
            }
            order[group.Key] = sorted;
        }
        return order;
    }

    private static List<StageNode>? TopologicalOrder(List<StageNode> group, Dictionary<OutputPort, PortLink> links, out List<string>? cycle)
    {
        var successors = new Dictionary<StageNode, List<StageNode>>(ReferenceEqualityComparer.Instance);
        foreach (StageNode node in group)
        {
            successors[node] = [];
        }
        foreach ((OutputPort output, PortLink link) in links)
        {
            if (!link.IsRing(output.Node) && successors.TryGetValue(output.Node, out List<StageNode>? next))
            {
                next.Add(link.Target);
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
