using Flow.Hosting.Live;

namespace Flow.Hosting.Internal;

/// <summary><c>trace show</c>: the traced packets, one row per stage each went through.</summary>
internal sealed class TraceShowControlCommand(LiveTrace trace) : IControlCommand
{
    public string Name => "trace show";

    public string Help => "The traced packets, stage by stage: time since the trace started, stage, worker, port left by or drop reason, the stage's note, headers at entry and exit (flow ctl --json for JSON).";

    public IReadOnlyList<ControlArgument> Arguments => [];

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken) => Task.FromResult(trace.Show());
}
