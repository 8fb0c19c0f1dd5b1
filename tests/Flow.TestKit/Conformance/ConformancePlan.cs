namespace Flow.TestKit.Conformance;

/// <summary>
/// What one <see cref="ConformanceSource"/> sends: how many frames, each frame's length, and how
/// fast. <see cref="Window"/> keeps at most that many frames unconfirmed by the receiving sink (a
/// test-level credit loop: backends without back-pressure lose nothing while the receiver keeps
/// up, and a loaded machine slows the test instead of overflowing a ring). <see cref="Bursts"/>
/// sends bursts of exactly those sizes in turn, each once the one before it has arrived.
/// </summary>
public sealed record ConformancePlan(long Count, Func<long, int> LengthOf)
{
    /// <summary>Frames in flight at most; 0 = no credit loop.</summary>
    public int Window { get; init; }

    /// <summary>Frames per second at most; 0 = as fast as the pool and the window allow.</summary>
    public long RatePps { get; init; }

    /// <summary>Burst sizes sent in lock step (each after the previous arrived), cycled; null = free running.</summary>
    public IReadOnlyList<int>? Bursts { get; init; }

    /// <summary>The source sends nothing until this holds (a phase of a longer test); null = at once.</summary>
    public Func<bool>? StartWhen { get; init; }

    /// <summary>Every length from <paramref name="min"/> to <paramref name="max"/> once, in order.</summary>
    public static ConformancePlan EveryLength(int min, int max) => new(max - min + 1, sequence => min + (int)sequence);

    /// <summary><paramref name="count"/> frames of <paramref name="length"/> bytes.</summary>
    public static ConformancePlan Fixed(long count, int length) => new(count, _ => length);
}
