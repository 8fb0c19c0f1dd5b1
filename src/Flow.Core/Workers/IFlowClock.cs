namespace Flow;

/// <summary>The time stages see in <see cref="Stage.Tick"/>; tests inject a manual clock.</summary>
public interface IFlowClock
{
    /// <summary>Monotonic nanoseconds.</summary>
    long NowNanoseconds { get; }
}
