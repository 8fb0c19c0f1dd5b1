namespace Flow;

/// <summary>
/// A graph could not be built; <see cref="Errors"/> lists every problem found, each a
/// <see cref="GraphError"/> naming what it is about. The message lists their sentences.
/// </summary>
public sealed class GraphValidationException : Exception
{
    public GraphValidationException(IReadOnlyList<GraphError> errors)
        : base("the graph is not valid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e.Message)))
    {
        Errors = errors;
    }

    public IReadOnlyList<GraphError> Errors { get; }
}
