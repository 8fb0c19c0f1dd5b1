using Flow.Hosting.Internal;

namespace Flow.Hosting;

public sealed partial class GraphFileLoader
{
    private static readonly string[] s_edgeKeys = ["from", "to", "ring_capacity", "feedback"];

    /// <summary>The <c>edges</c> array, as <c>"stage[:port] -> stage"</c> strings or objects; both ends must name declared stages.</summary>
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
            bool feedback = false;
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
                    // Reported here, at the value; the builder would refuse the edge again and then
                    // find both of its ends unconnected.
                    ringCapacity = GraphBuilder.DefaultRingCapacity;
                }
                if (item["feedback"] is { } feedbackNode)
                {
                    if (feedbackNode.Kind is SourceKind.True or SourceKind.False)
                    {
                        feedback = feedbackNode.Kind == SourceKind.True;
                    }
                    else
                    {
                        errors.Add(feedbackNode, $"expected true or false, found {feedbackNode.Describe()}");
                    }
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
            var edge = new EdgeEntry(from, EndpointRef.Parse(from), to, ringCapacity, feedback, item);
            edges.Add(edge);
            if (!stages.Any(s => s.Name == edge.Source.Stage))
            {
                errors.Add(item, $"edge {from} -> {to}: no stage named '{edge.Source.Stage}'; expected one of: {StageNames(stages)}");
                edge.Ok = false;
            }
            if (to.Contains(':'))
            {
                errors.Add(item, $"edge {from} -> {to}: the target of an edge is a stage, not a port; expected \"{from} -> {EndpointRef.Parse(to).Stage}\"");
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

    private static string StageNames(List<StageEntry> stages) =>
        stages.Count == 0 ? "(no stages are declared)" : string.Join(", ", stages.Select(s => s.Name));

    /// <param name="from">The source as written, what the builder is given.</param>
    /// <param name="source"><paramref name="from"/> split into stage and port.</param>
    /// <param name="to">The target stage as written.</param>
    /// <param name="ringCapacity">The edge's ring capacity, when it crosses workers or is a feedback edge.</param>
    /// <param name="feedback">A feedback edge (<see cref="GraphBuilder.Feedback"/>): through a ring on its worker, so it may close a loop.</param>
    /// <param name="node">The edge's JSON node, for error positions.</param>
    private sealed class EdgeEntry(string from, EndpointRef source, string to, int ringCapacity, bool feedback, SourceNode node)
    {
        public string From { get; } = from;

        public EndpointRef Source { get; } = source;

        public string To { get; } = to;

        public int RingCapacity { get; } = ringCapacity;

        public bool Feedback { get; } = feedback;

        public SourceNode Node { get; } = node;

        /// <summary>Both ends name declared stages (the edge is handed to the builder when both were made).</summary>
        public bool Ok { get; set; } = true;
    }
}
