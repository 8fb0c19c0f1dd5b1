namespace Flow;

/// <summary>
/// One worker: passes of its loop, the share that found work, and the wall time it spent in
/// those passes (<paramref name="BusyNanoseconds"/>) out of the time it has run
/// (<paramref name="ElapsedNanoseconds"/>).
/// </summary>
/// <param name="Id">The worker's id in the graph.</param>
/// <param name="Cpu">The CPU it is pinned to, or null.</param>
/// <param name="Idle">Its idle policy.</param>
/// <param name="Passes">Passes of its loop.</param>
/// <param name="BusyPasses">Passes that found work.</param>
/// <param name="OsThreadId">The kernel's thread id (0 before it runs).</param>
/// <param name="BusyNanoseconds">Wall time in passes that found work.</param>
/// <param name="ElapsedNanoseconds">Wall time since the loop started; 0 when it never ran on its own thread.</param>
public sealed record WorkerStats(int Id, int? Cpu, string Idle, long Passes, long BusyPasses, int OsThreadId = 0,
    long BusyNanoseconds = 0, long ElapsedNanoseconds = 0)
{
    /// <summary>
    /// Share of wall time spent in passes that found work. Counting passes would call a worker
    /// that sleeps on an event between packets half busy (each wake is one busy pass and one
    /// empty one); time says what it is. Passes are the fallback when the loop never ran on its
    /// own thread (benchmarks driving passes by hand).
    /// </summary>
    public double BusyRatio => ElapsedNanoseconds > 0 ? Math.Min(1, (double)BusyNanoseconds / ElapsedNanoseconds)
        : Passes == 0 ? 0 : (double)BusyPasses / Passes;
}
