using System.Diagnostics;

namespace Flow;

/// <summary>The default clock: Stopwatch (CLOCK_MONOTONIC) in nanoseconds.</summary>
public sealed class MonotonicClock : IFlowClock
{
    private static readonly double s_nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    public static MonotonicClock Instance { get; } = new();

    public long NowNanoseconds => (long)(Stopwatch.GetTimestamp() * s_nanosecondsPerTick);
}
