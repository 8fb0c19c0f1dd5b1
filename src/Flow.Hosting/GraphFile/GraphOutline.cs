namespace Flow.Hosting;

/// <summary>
/// What a graph file describes, as checked by <see cref="GraphFileLoader.Check"/>: stages,
/// edges and workers (with any idle policy the builder changed), and the builder's warnings.
/// Nothing in it can run.
/// </summary>
public sealed record GraphOutline(IReadOnlyList<GraphOutlineStage> Stages, IReadOnlyList<EdgeInfo> Edges, IReadOnlyList<WorkerInfo> Workers,
    IReadOnlyList<string> Warnings)
{
    public static GraphOutline Of(FlowGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return new GraphOutline(graph.Stages.Select(s => new GraphOutlineStage(s.Name, s.Type, s.Worker)).ToList(), graph.Edges, graph.Workers, graph.Warnings);
    }
}
