using System.Globalization;
using System.Text.RegularExpressions;

namespace Flow.Net.Tests;

/// <summary>
/// What the impaired medium did in one direction, as impair.py prints it at exit: frames it read,
/// wrote, dropped, gave the extra hold, and (measured) frames that left after a frame that arrived
/// later than them.
/// </summary>
public sealed partial record MediumCounters(string Direction, long Received, long Forwarded, long Dropped, long Held, long Overtaken)
{
    /// <summary>The counter lines of impair.py's output, one per direction.</summary>
    public static IReadOnlyList<MediumCounters> Parse(string output) =>
        [.. CounterLine().Matches(output).Select(m => new MediumCounters(m.Groups[1].Value,
            Number(m.Groups[2]), Number(m.Groups[3]), Number(m.Groups[4]), Number(m.Groups[5]), Number(m.Groups[6])))];

    private static long Number(Group g) => long.Parse(g.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(\S+) received=(\d+) forwarded=(\d+) dropped=(\d+) held=(\d+) overtaken=(\d+)$", RegexOptions.Multiline)]
    private static partial Regex CounterLine();
}
