using System.Globalization;

namespace Flow;

/// <summary>
/// One control request as a command sees it: the graph it runs against, the command name, the
/// stage the caller selected (<c>--stage</c>; null when none) and the arguments, all strings
/// (as typed on a command line). The accessors refuse missing or malformed values with a
/// <see cref="ControlCommandException"/> naming the argument.
/// </summary>
public sealed class ControlRequest
{
    public ControlRequest(FlowGraph graph, string command, IReadOnlyDictionary<string, string>? arguments = null, string? stage = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrEmpty(command);
        Graph = graph;
        Command = command;
        Arguments = arguments ?? new Dictionary<string, string>();
        Stage = stage;
    }

    public FlowGraph Graph { get; }

    public string Command { get; }

    /// <summary>The stage the caller named to choose among several candidates, or null.</summary>
    public string? Stage { get; }

    public IReadOnlyDictionary<string, string> Arguments { get; }

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
