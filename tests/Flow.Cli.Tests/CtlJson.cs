using System.Text.Json;

namespace Flow.Cli.Tests;

/// <summary>Reads what <c>flow ctl ... --json</c> prints.</summary>
internal static class CtlJson
{
    /// <summary>The reply's table, one dictionary per row from column name to cell.</summary>
    public static List<Dictionary<string, string>> Rows(JsonElement reply)
    {
        string[] columns = reply.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
        return reply.GetProperty("rows").EnumerateArray()
            .Select(r => r.EnumerateArray().Select((cell, i) => (columns[i], cell.GetString()!)).ToDictionary(x => x.Item1, x => x.Item2))
            .ToList();
    }

    /// <inheritdoc cref="Rows(JsonElement)"/>
    public static List<Dictionary<string, string>> Rows(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return Rows(document.RootElement);
    }
}
