namespace Flow.TestKit;

/// <summary>A clock tests move by hand.</summary>
public sealed class ManualClock : IFlowClock
{
    private long _now;

    public long NowNanoseconds => Volatile.Read(ref _now);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _now, (long)(by.TotalMilliseconds * 1_000_000));
}
