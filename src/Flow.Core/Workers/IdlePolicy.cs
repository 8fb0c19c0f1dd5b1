namespace Flow;

/// <summary>A worker's idle policy (the seeds' busy-poll, IdleSleep and interrupt modes).</summary>
public sealed record IdlePolicy
{
    private IdlePolicy(IdleKind kind, int spins, TimeSpan sleep)
    {
        Kind = kind;
        Spins = spins;
        Sleep = sleep;
    }

    public IdleKind Kind { get; }

    /// <summary>Empty passes spent spinning before sleeping (<see cref="IdleKind.SpinThenSleep"/>).</summary>
    public int Spins { get; }

    /// <summary>
    /// Sleep between empty passes once spinning is over (zero = yield the core); for
    /// <see cref="IdleKind.Event"/>, the longest time to block before timers run.
    /// </summary>
    public TimeSpan Sleep { get; }

    public static IdlePolicy BusyPoll { get; } = new(IdleKind.BusyPoll, 0, TimeSpan.Zero);

    public static IdlePolicy SpinThenSleep(int spins = 1000, TimeSpan? sleep = null) =>
        new(IdleKind.SpinThenSleep, Math.Max(0, spins), sleep ?? TimeSpan.FromMilliseconds(1));

    /// <summary>Yields the core after a short spin: for workers that share a core with other busy threads.</summary>
    public static IdlePolicy Yielding { get; } = new(IdleKind.SpinThenSleep, 64, TimeSpan.Zero);

    public static IdlePolicy Event(TimeSpan? timeout = null) =>
        new(IdleKind.Event, 0, timeout ?? TimeSpan.FromMilliseconds(100));

    public override string ToString() => Kind switch
    {
        IdleKind.BusyPoll => "busy_poll",
        IdleKind.SpinThenSleep => $"spin_then_sleep(spins {Spins}, sleep {Sleep.TotalMilliseconds} ms)",
        _ => $"event(timeout {Sleep.TotalMilliseconds} ms)",
    };
}
