using Flow.Hosting.Live;

namespace Flow.Hosting.Internal;

/// <summary>
/// <c>capture start &lt;stage&gt;[:&lt;port&gt;] &lt;file&gt; [--count N] [--snaplen N] [--filter EXPR] [--drops all|reason]</c>:
/// copies what crosses an edge of the running graph into a pcapng file.
/// </summary>
internal sealed class CaptureStartControlCommand(LiveCapture capture) : IControlCommand
{
    public string Name => "capture start";

    public string Help => "Capture what crosses an edge into a pcapng file (readable by Wireshark and tshark): <stage>:<port> what leaves on a port, <stage> what enters it (a source: all it produces); --drops what it dropped, the reason as each packet's comment.";

    public IReadOnlyList<ControlArgument> Arguments { get; } =
    [
        new("edge", "<stage>:<port> or <stage>.") { Positional = true, Required = true },
        new("file", "Absolute path of a new pcapng file, created as you (never replaces a file, never follows a symlink).") { Positional = true, Required = true },
        new("count", "Stop after this many packets (default: until 'capture stop').", ControlValue.Integer(1, int.MaxValue)),
        new("snaplen", $"Bytes kept of each packet (default and most {LiveCapture.MaxSnapLength}).", ControlValue.Integer(14, 65535)),
        new("filter", "Only packets matching this expression, e.g. 'icmp and host 10.0.0.1' (docs/control.md, Filters)."),
        new("drops", "'all' for every packet the stage dropped, or one drop reason (its lower_snake name)."),
    ];

    public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        string edge = request.Required("edge");
        int colon = edge.IndexOf(':');
        string stage = colon < 0 ? edge : edge[..colon];
        string? port = colon < 0 ? null : edge[(colon + 1)..];
        string? drops = request.Optional("drops");
        if (drops is not null && port is not null)
        {
            throw new ControlCommandException($"--drops captures what '{stage}' dropped; give the stage without a port");
        }
        int? reason = null;
        if (drops is not null && drops != "all")
        {
            StageInfo info = request.Graph.Stages.FirstOrDefault(s => s.Name == stage)
                ?? throw new ControlCommandException($"no stage named '{stage}'; 'stages' lists them");
            reason = info.Stage.Descriptor.DropReasons.FirstOrDefault(r => r.Symbol == drops)?.Index
                ?? throw new ControlCommandException($"stage '{stage}' has no drop reason '{drops}'; its reasons are {string.Join(", ", info.Stage.Descriptor.DropReasons.Select(r => r.Symbol))}");
        }
        string? filter = request.Optional("filter");
        var spec = new CaptureSpec(stage, port, request.Required("file"), request.OptionalInteger("count", 1, int.MaxValue),
            request.OptionalInteger("snaplen", 14, 65535) ?? LiveCapture.MaxSnapLength,
            filter is null ? null : PacketFilter.Parse(filter), drops is not null, reason);
        return ControlReply.Text(await capture.StartAsync(request.Graph, spec, request.Caller).ConfigureAwait(false));
    }
}
