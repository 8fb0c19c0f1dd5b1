namespace Flow.Benchmarks.Router;

/// <summary>Options of <see cref="RouterFrameCheck"/>: the side (port id, 0 lan or 1 wan) whose outgoing frames it checks.</summary>
internal sealed record RouterFrameCheckOptions
{
    public int Side { get; init; }
}
