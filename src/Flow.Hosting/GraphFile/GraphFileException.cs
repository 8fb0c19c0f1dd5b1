namespace Flow.Hosting;

/// <summary>
/// A graph file could not be loaded. <see cref="Errors"/> lists every problem found (the loader
/// does not stop at the first), each with file, line:column, JSON path and what was expected.
/// </summary>
public sealed class GraphFileException : Exception
{
    public GraphFileException(string file, IReadOnlyList<GraphFileError> errors)
        : base(Format(file, errors))
    {
        File = file;
        Errors = errors;
    }

    public string File { get; }

    public IReadOnlyList<GraphFileError> Errors { get; }

    private static string Format(string file, IReadOnlyList<GraphFileError> errors) =>
        $"{file}: {errors.Count} error{(errors.Count == 1 ? "" : "s")}" + Environment.NewLine +
        string.Join(Environment.NewLine, errors.Select(e => e.ToString()));
}
