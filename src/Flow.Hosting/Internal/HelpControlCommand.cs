namespace Flow.Hosting.Internal;

/// <summary><c>help</c>: every command the endpoint serves, with its arguments and a sentence.</summary>
internal sealed class HelpControlCommand(ControlDispatcher dispatcher) : IControlCommand
{
    public string Name => "help";

    public string Help => "Lists the commands this graph's control endpoint serves, with their arguments.";

    public IReadOnlyList<string> Arguments => [];

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(ControlReply.Table(["command", "arguments", "help"],
            dispatcher.Commands.Select(c => (IReadOnlyList<string>)[c.Name, string.Join(" ", c.Arguments), c.Help]).ToList()));
}
