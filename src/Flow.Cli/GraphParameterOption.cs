using System.CommandLine;

namespace Flow.Cli;

/// <summary>
/// <c>--set name=value</c> (repeatable): overrides a graph file's <c>parameters</c> entry, or a key
/// inside one (<c>--set p1.backend=memif</c>). A value that parses as JSON is that JSON (42, true,
/// [10, 20]); anything else is a string.
/// </summary>
internal static class GraphParameterOption
{
    public static Option<string[]> Create() => new("--set")
    {
        Description = "Override a graph parameter: --set name=value or --set name.key=value (repeatable). " +
            "Values are JSON when they parse as JSON, else strings. See 'parameters' in docs/graph-format.md.",
        HelpName = "name=value",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Splits each <c>name=value</c>; false (with the message printed) for one without '=' or a name given twice.</summary>
    public static bool TryParse(string[]? values, out Dictionary<string, string> parameters)
    {
        parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string item in values ?? [])
        {
            int equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                CliOutput.Error($"--set '{item}': expected name=value, for example --set backend=af_packet or --set p1.interface=veth1");
                return false;
            }
            string name = item[..equals].Trim();
            if (!parameters.TryAdd(name, item[(equals + 1)..]))
            {
                CliOutput.Error($"--set: parameter '{name}' is set twice");
                return false;
            }
        }
        return true;
    }
}
