namespace Flow;

/// <summary>One worker: passes of its loop and the share that found work.</summary>
public sealed record WorkerStats(int Id, int? Cpu, string Idle, long Passes, long BusyPasses, int OsThreadId = 0)
{
    public double BusyRatio => Passes == 0 ? 0 : (double)BusyPasses / Passes;
}
