namespace Flow;

/// <summary>What a worker does when a pass found no work.</summary>
public enum IdleKind : byte
{
    /// <summary>Poll again at once: lowest latency, one core at 100 %.</summary>
    BusyPoll,
    /// <summary>Spin for a number of empty passes, then yield or sleep between passes.</summary>
    SpinThenSleep,
    /// <summary>Block in poll(2) on the worker's eventfd and its sources' descriptors (interrupt mode).</summary>
    Event,
}
