namespace Flow.Hosting.Internal;

/// <summary>Collects every error of one load, in file order when reported.</summary>
internal sealed class ErrorList(string file)
{
    private readonly List<GraphFileError> _errors = [];

    public string File { get; } = file;

    public int Count => _errors.Count;

    public void Add(SourceNode node, string message) => _errors.Add(new GraphFileError(File, node.Position, node.Path, message));

    public void Add(SourcePosition position, string path, string message) => _errors.Add(new GraphFileError(File, position, path, message));

    /// <summary>A <see cref="GraphBuilder"/> error, placed where the loader found what it names.</summary>
    public void Add(SourceNode node, GraphError error) => _errors.Add(new GraphFileError(File, node.Position, node.Path, error.Message, error.Kind));

    public void Add(SourcePosition position, string path, GraphError error) => _errors.Add(new GraphFileError(File, position, path, error.Message, error.Kind));

    public IReadOnlyList<GraphFileError> Sorted() =>
        _errors.OrderBy(e => e.Position.Line).ThenBy(e => e.Position.Column).ToList();
}
