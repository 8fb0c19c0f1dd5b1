namespace Flow.Hosting.Internal;

/// <summary>
/// <c>help [command]</c>: every command this graph's endpoint serves with its usage, or one
/// command's arguments (value, required, help) and the stages that serve it. A first word alone
/// (<c>help mac</c>) lists the commands that start with it.
/// </summary>
internal sealed class HelpControlCommand(ControlDispatcher dispatcher) : IControlCommand
{
    public string Name => "help";

    public string Help => "Lists the commands this graph serves with their arguments; 'help <command>' describes one.";

    public IReadOnlyList<ControlArgument> Arguments { get; } =
    [
        new("command", "The command to describe (its words), or a first word to list the commands starting with it.") { Positional = true, Rest = true },
    ];

    public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
    {
        string? asked = request.Optional("command");
        if (asked is null)
        {
            return Task.FromResult(List(dispatcher.Verbs, "'help <command>' describes a command's arguments"));
        }
        string name = ControlProtocol.Normalize(asked);
        if (dispatcher.Find(name) is ControlVerb verb)
        {
            return Task.FromResult(Describe(verb));
        }
        List<ControlVerb> starting = dispatcher.Verbs.Where(v => v.Name.StartsWith(name + " ", StringComparison.Ordinal)).ToList();
        return starting.Count > 0
            ? Task.FromResult(List(starting, $"'{name}' commands; 'help <command>' describes one"))
            : throw new ControlCommandException(dispatcher.UnknownCommand(name));
    }

    private static ControlReply List(IEnumerable<ControlVerb> verbs, string message) =>
        ControlReply.Table(["command", "arguments", "help"],
            verbs.Select(v => (IReadOnlyList<string>)[v.Name, v.ArgumentUsage, v.Command.Help]).ToList(), message);

    private static ControlReply Describe(ControlVerb verb)
    {
        string servedBy = verb.ServedBy.Count == 0 ? "the graph" : string.Join(", ", verb.ServedBy.Select(s => $"'{s}'"));
        string message = $"{verb.Command.Help}\nusage: {verb.Usage}\nserved by: {servedBy}";
        if (verb.ServedBy.Count > 1)
        {
            message += " (choose one with --stage <name>)";
        }
        return ControlReply.Table(["argument", "value", "required", "help"],
            verb.Ordered.Select(a => (IReadOnlyList<string>)[a.Positional ? a.Name : "--" + a.Name, a.Value.Kind, a.Required ? "yes" : "no", a.Help]).ToList(),
            message);
    }
}
