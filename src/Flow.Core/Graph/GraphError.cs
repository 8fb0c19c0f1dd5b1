namespace Flow;

/// <summary>
/// One problem <see cref="GraphBuilder.Build"/> found: its <see cref="Kind"/>, what it is about
/// (<see cref="Stage"/>, <see cref="Port"/>, <see cref="Edge"/>, <see cref="Worker"/>; each kind
/// says which it fills) and a sentence for people. Callers that know where the graph came from
/// (the graph-file loader) locate the error from the fields, never from the sentence.
/// </summary>
public sealed record GraphError(
    GraphErrorKind Kind,
    string Message,
    string? Stage = null,
    string? Port = null,
    EdgeDeclaration? Edge = null,
    int? Worker = null)
{
    public override string ToString() => Message;
}
