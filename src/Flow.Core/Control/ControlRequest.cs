using System.Globalization;

namespace Flow;

/// <summary>
/// One control request as a command sees it: the graph it runs against, the command name, the
/// stage the caller selected (<c>--stage</c>; null when none), the stages that serve the command
/// and the arguments, all strings (as typed on a command line; positionals already mapped to
/// their names and checked against the command's declaration). The accessors refuse missing or malformed values with a
/// <see cref="ControlCommandException"/> naming the argument.
/// </summary>
public sealed class ControlRequest
{
    public ControlRequest(FlowGraph graph, string command, IReadOnlyDictionary<string, string>? arguments = null, string? stage = null,
        IReadOnlyList<string>? servedBy = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrEmpty(command);
        Graph = graph;
        Command = command;
        Arguments = arguments ?? new Dictionary<string, string>();
        Stage = stage;
        ServedBy = servedBy ?? [];
    }

    public FlowGraph Graph { get; }

    public string Command { get; }

    /// <summary>The stage the caller named to choose among several candidates, or null.</summary>
    public string? Stage { get; }

    /// <summary>The stages of the graph that declare the command (<see cref="IControlledStage"/>), in graph order; empty for the endpoint's own and DI-registered commands.</summary>
    public IReadOnlyList<string> ServedBy { get; }

    public IReadOnlyDictionary<string, string> Arguments { get; }

    /// <summary>Who sent the request (the socket's peer credentials), or null when not known (in-process callers).</summary>
    public ControlCaller? Caller { get; init; }

    /// <summary>
    /// The stage the request is for, among <see cref="ServedBy"/>: the one <see cref="Stage"/>
    /// names, or the only one — where the only one may be a stage of a sharded graph, whose
    /// copies all serve it: then shard 0's copy. Refuses the request when <see cref="Stage"/>
    /// names another stage, or when several stages serve the command and none was chosen.
    /// </summary>
    public string ServingStage()
    {
        string serving = string.Join(", ", ServedBy.Select(s => $"'{s}'"));
        if (Stage is not null)
        {
            return ServedBy.Contains(Stage, StringComparer.Ordinal)
                ? Stage
                : throw new ControlCommandException($"stage '{Stage}' does not serve '{Command}'; {(ServedBy.Count == 1 ? "the stage that does is" : "the stages that do are")} {serving}");
        }
        if (ServedBy.Count > 1 && ServedBy.Select(s => ShardNames.Split(s).Name).Distinct(StringComparer.Ordinal).Count() == 1)
        {
            return ServedBy.MinBy(s => ShardNames.Split(s).Shard)!;
        }
        return ServedBy.Count switch
        {
            1 => ServedBy[0],
            0 => throw new ControlCommandException($"no stage of this graph serves '{Command}'"),
            _ => throw new ControlCommandException($"{ServedBy.Count} stages serve '{Command}' ({serving}); choose one with --stage <name>"),
        };
    }

    /// <summary>The argument's value, or null when it was not given.</summary>
    public string? Optional(string name) => Arguments.TryGetValue(name, out string? value) ? value : null;

    /// <summary>The argument's value; refuses the request when it was not given.</summary>
    public string Required(string name) =>
        Optional(name) ?? throw new ControlCommandException($"'{Command}' needs the argument '{name}'");

    /// <summary>The argument as an integer in [<paramref name="min"/>, <paramref name="max"/>], or null when not given.</summary>
    public int? OptionalInteger(string name, int min, int max)
    {
        string? text = Optional(name);
        if (text is null)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            throw new ControlCommandException($"{name} '{text}' is not a number");
        }
        if (value < min || value > max)
        {
            throw new ControlCommandException($"{name} {value} is out of range {min} to {max}");
        }
        return value;
    }

    /// <summary>The argument as an integer in [<paramref name="min"/>, <paramref name="max"/>]; refuses the request when not given.</summary>
    public int RequiredInteger(string name, int min, int max) =>
        OptionalInteger(name, min, max) ?? throw new ControlCommandException($"'{Command}' needs the argument '{name}'");
}
