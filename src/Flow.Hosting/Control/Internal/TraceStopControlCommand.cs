using Flow.Hosting.Live;

namespace Flow.Hosting.Internal;

/// <summary><c>trace stop</c>: stops following packets; what was traced stays for <c>trace show</c>.</summary>
internal sealed class TraceStopControlCommand(LiveTrace trace) : IControlCommand
{
    public string Name => "trace stop";

    public string Help => "Stop the trace; 'trace show' still lists what it recorded.";

    public IReadOnlyList<ControlArgument> Arguments => [];

    public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken) =>
        ControlReply.Text(await trace.StopAsync().ConfigureAwait(false));
}
