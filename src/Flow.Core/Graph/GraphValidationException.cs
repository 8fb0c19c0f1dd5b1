namespace Flow;

/// <summary>A graph could not be built; <see cref="Errors"/> lists every problem found, one sentence each.</summary>
public sealed class GraphValidationException : Exception
{
    public GraphValidationException(IReadOnlyList<string> errors)
        : base("the graph is not valid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
    {
        Errors = errors;
    }

    public IReadOnlyList<string> Errors { get; }
}
