using Flow.Hosting.Live;

namespace Flow.Hosting.Internal;

/// <summary><c>trace start [--count N] [--stage S] [--filter EXPR]</c>: follows packets through the stages.</summary>
internal sealed class TraceStartControlCommand(LiveTrace trace) : IControlCommand
{
    public string Name => "trace start";

    public string Help => "Trace packets stage by stage (where each went, its headers before and after, the stage's note); picked where they enter the graph, or where they enter the stage --stage names.";

    public IReadOnlyList<ControlArgument> Arguments { get; } =
    [
        new("count", "Packets to trace (default 10, at most 10000).", ControlValue.Integer(1, 10_000)),
        new("filter", "Only packets matching this expression, e.g. 'icmp and host 10.0.0.1' (docs/control.md, Filters)."),
    ];

    public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        string? filter = request.Optional("filter");
        return ControlReply.Text(await trace.StartAsync(request.Graph, request.OptionalInteger("count", 1, 10_000) ?? 10, request.Stage,
            filter is null ? null : PacketFilter.Parse(filter)).ConfigureAwait(false));
    }
}
