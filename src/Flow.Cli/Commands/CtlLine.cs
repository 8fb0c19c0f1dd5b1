namespace Flow.Cli;

/// <summary>
/// A <c>flow ctl</c> line as typed after the CLI's own options: the words (the command's name,
/// then its positional arguments — the running graph tells them apart) and the
/// <c>--name value</c> (or <c>--name=value</c>) arguments. Nothing here knows any command: the
/// graph checks both against the command's declaration, so a stage's new verb needs no CLI change.
/// </summary>
internal sealed record CtlLine(IReadOnlyList<string> Words, IReadOnlyDictionary<string, string> Arguments)
{
    /// <summary>Splits <paramref name="tokens"/>; false with <paramref name="problem"/> for a name without a value or given twice.</summary>
    public static bool TryParse(IReadOnlyList<string> tokens, out CtlLine? line, out string problem)
    {
        line = null;
        problem = "";
        var words = new List<string>();
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
            {
                words.Add(token);
                continue;
            }
            string name;
            string value;
            int equals = token.IndexOf('=', StringComparison.Ordinal);
            if (equals > 2)
            {
                name = token[2..equals];
                value = token[(equals + 1)..];
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                name = token[2..];
                value = tokens[++i];
            }
            else
            {
                problem = $"{token} has no value; write {token} <value> (see 'flow ctl help <command>')";
                return false;
            }
            if (!arguments.TryAdd(name, value))
            {
                problem = $"--{name} is given twice ('{arguments[name]}' and '{value}')";
                return false;
            }
        }
        if (words.Count == 0)
        {
            problem = "no command: 'flow ctl help' lists what the running graph offers";
            return false;
        }
        line = new CtlLine(words, arguments);
        return true;
    }
}
