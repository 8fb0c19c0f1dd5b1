namespace Flow.TestKit.Conformance;

/// <summary>How the suite wants a pair made.</summary>
public sealed record ConformancePairOptions
{
    /// <summary>
    /// Frames the receiving side can hold before it must drop or wait (its rx pool, or the ring
    /// of a zero-copy wire); null = the backend's default. Set small to run the pool dry.
    /// </summary>
    public int? ReceivePoolFrames { get; init; }
}
