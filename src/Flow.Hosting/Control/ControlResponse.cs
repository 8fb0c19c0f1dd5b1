namespace Flow.Hosting;

/// <summary>
/// A control endpoint's reply as a client reads it. <see cref="Error"/> is null when the command
/// ran; otherwise one of <see cref="ControlErrors"/>' codes, with <see cref="Message"/> saying why.
/// </summary>
public sealed record ControlResponse(
    bool Ok,
    string? Error,
    string? Message,
    IReadOnlyList<string> Columns,
    IReadOnlyList<IReadOnlyList<string>> Rows,
    string Json)
{
    /// <summary>The cells of column <paramref name="column"/>, top to bottom.</summary>
    public IReadOnlyList<string> Column(string column)
    {
        int index = Columns.ToList().IndexOf(column);
        if (index < 0)
        {
            throw new ArgumentException($"the reply has no column '{column}'; it has {string.Join(", ", Columns)}", nameof(column));
        }
        return Rows.Select(r => r[index]).ToList();
    }
}
