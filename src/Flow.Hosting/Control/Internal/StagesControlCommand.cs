namespace Flow.Hosting.Internal;

/// <summary><c>stages</c>: the running graph's stages, their types, workers and where their ports lead.</summary>
internal sealed class StagesControlCommand : IControlCommand
{
    public string Name => "stages";

    public string Help => "The graph's stages: name, type, worker, and each output port with the stage it leads to.";

    public IReadOnlyList<ControlArgument> Arguments => [];

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        FlowGraph graph = request.Graph;
        IReadOnlyList<EdgeInfo> edges = graph.Edges;
        var rows = graph.Stages.Select(s => (IReadOnlyList<string>)
        [
            s.Name, s.Type, ControlProtocol.Count(s.Worker),
            string.Join(", ", edges.Where(e => e.From == s.Name).Select(e => $"{e.Port} -> {e.To}")),
        ]).ToList();
        return Task.FromResult(ControlReply.Table(["stage", "type", "worker", "outputs"], rows));
    }
}
