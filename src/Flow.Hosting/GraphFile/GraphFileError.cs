namespace Flow.Hosting;

/// <summary>
/// One problem in a graph file: where it is (file, line:column, JSON path) and what was
/// expected there. <see cref="ToString"/> gives the compiler-style line the CLI prints:
/// <c>graph.json:12:17: $.stages.gen.config.count: expected an integer ≥ 0, found -5</c>.
/// <see cref="Kind"/> is set for the errors the <see cref="GraphBuilder"/> found (wiring, ports,
/// packet types, workers), and null for those found while reading the file.
/// </summary>
public sealed record GraphFileError(string File, SourcePosition Position, string JsonPath, string Message, GraphErrorKind? Kind = null)
{
    public override string ToString() => $"{File}:{Position}: {JsonPath}: {Message}";
}
