using System.Globalization;

namespace Flow.Benchmarks.Infrastructure;

/// <summary>The scenarios' <c>--name value</c> options: the value after the name, or a fallback when absent.</summary>
internal static class ScenarioArgs
{
    public static string? String(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int Int(string[] args, string name, int fallback) =>
        String(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public static double Double(string[] args, string name, double fallback) =>
        String(args, name) is { } value ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
