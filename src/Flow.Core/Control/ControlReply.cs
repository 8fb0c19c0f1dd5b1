namespace Flow;

/// <summary>
/// What a control command answers: a message, a table (column names and rows of cells, all
/// text), or both. Control endpoints send it as JSON; <c>flow ctl</c> prints the table.
/// </summary>
public sealed class ControlReply
{
    private ControlReply(string? message, IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        Message = message;
        Columns = columns;
        Rows = rows;
    }

    /// <summary>
    /// A cell with no value (a cost per packet not measured yet): JSON null on the wire, shown
    /// as "–" by <c>flow ctl</c>.
    /// </summary>
    public const string Unknown = "–";

    /// <summary>A sentence for people, or null.</summary>
    public string? Message { get; }

    /// <summary>Column names (lower-case); empty when the reply has no table.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Rows, each with one cell per column.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows { get; }

    public static ControlReply Text(string message) => new(message, [], []);

    /// <summary>A table; each row must have one cell per column.</summary>
    public static ControlReply Table(IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<string>> rows, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        foreach (IReadOnlyList<string> row in rows)
        {
            if (row.Count != columns.Count)
            {
                throw new ArgumentException($"a row has {row.Count} cells for {columns.Count} columns", nameof(rows));
            }
        }
        return new ControlReply(message, columns, rows);
    }
}
