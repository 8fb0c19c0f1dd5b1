namespace Flow;

/// <summary>
/// The source end of an edge as written: <c>"stage:port"</c>, or <c>"stage"</c> alone when the
/// stage has one port (<see cref="Port"/> is then null). The split is at the first ':'.
/// </summary>
public readonly record struct EndpointRef(string Stage, string? Port)
{
    public static EndpointRef Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        return colon < 0 ? new EndpointRef(text, null) : new EndpointRef(text[..colon], text[(colon + 1)..]);
    }

    public override string ToString() => Port is null ? Stage : $"{Stage}:{Port}";
}
