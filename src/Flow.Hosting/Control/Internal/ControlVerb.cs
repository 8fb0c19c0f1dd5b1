namespace Flow.Hosting.Internal;

/// <summary>
/// A command as the endpoint serves it: the command, the stages of the graph that declare it
/// (empty for the endpoint's own and DI-registered ones), and its usage line.
/// </summary>
internal sealed class ControlVerb(IControlCommand command, Type? stageType)
{
    public IControlCommand Command { get; } = command;

    /// <summary>The stage type that declares the command, or null when a stage does not.</summary>
    public Type? StageType { get; } = stageType;

    public List<string> ServedBy { get; } = [];

    public string Name => Command.Name;

    public IEnumerable<ControlArgument> Positionals => Command.Arguments.Where(a => a.Positional);

    /// <summary>The arguments in usage order: positionals first, then the named ones.</summary>
    public IEnumerable<ControlArgument> Ordered => Positionals.Concat(Command.Arguments.Where(a => !a.Positional));

    /// <summary>The arguments as a usage line shows them: <c>&lt;mac&gt; --vlan N --port name</c>.</summary>
    public string ArgumentUsage => string.Join(' ', Ordered.Select(a => a.Usage));

    /// <summary><c>mac add &lt;mac&gt; --vlan N --port name</c>.</summary>
    public string Usage => Command.Arguments.Count == 0 ? Name : $"{Name} {ArgumentUsage}";

    public string Source => StageType is null ? Command.GetType().FullName! : $"{Command.GetType().FullName} of stage type {StageType.FullName}";
}
