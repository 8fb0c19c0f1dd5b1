namespace Flow.Stages.Switching.Internal;

/// <summary>
/// One switch command of a control endpoint: finds the switch the request means
/// (<see cref="SwitchControl.Find"/>, by <c>--stage</c> when the graph has several) and runs
/// <see cref="_run"/> against it. Everything it changes goes through the stages' mailboxes.
/// </summary>
internal sealed class SwitchControlCommand(string name, string help, IReadOnlyList<ControlArgument> arguments,
    Func<SwitchControl, ControlRequest, Task<ControlReply>> run) : IControlCommand
{
    private readonly Func<SwitchControl, ControlRequest, Task<ControlReply>> _run = run;

    public string Name { get; } = name;

    public string Help { get; } = help;

    public IReadOnlyList<ControlArgument> Arguments { get; } = arguments;

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _run(SwitchControl.Find(request.Graph, request.Stage), request);
    }
}
