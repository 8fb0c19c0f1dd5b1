using Flow.Hosting.Live;

namespace Flow.Hosting.Internal;

/// <summary><c>capture show</c>: the running (or last finished) capture and its counts.</summary>
internal sealed class CaptureShowControlCommand(LiveCapture capture) : IControlCommand
{
    public string Name => "capture show";

    public string Help => "The running or last finished capture: its edge, file, packets written and packets it dropped.";

    public IReadOnlyList<ControlArgument> Arguments => [];

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(ControlReply.Text(capture.Show()));
}
