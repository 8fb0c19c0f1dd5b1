using Flow.Hosting.Live;

namespace Flow.Hosting.Internal;

/// <summary><c>capture stop</c>: ends the running capture and completes its file.</summary>
internal sealed class CaptureStopControlCommand(LiveCapture capture) : IControlCommand
{
    public string Name => "capture stop";

    public string Help => "Stop the running capture; says how many packets the file holds and how many the capture itself dropped.";

    public IReadOnlyList<ControlArgument> Arguments => [];

    public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken) =>
        ControlReply.Text(await capture.StopAsync().ConfigureAwait(false));
}
