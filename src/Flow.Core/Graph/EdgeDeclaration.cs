namespace Flow;

/// <summary>
/// An edge as it was given to <see cref="GraphBuilder.Connect"/>: the <paramref name="Index"/>-th
/// call on that builder (from 0) and its endpoints as written, so a caller can find the line it came from.
/// </summary>
public sealed record EdgeDeclaration(int Index, string From, string To)
{
    public override string ToString() => $"{From} -> {To}";
}
