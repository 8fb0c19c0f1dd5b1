namespace Flow.Backends.Memif.Tests;

/// <summary>Unique abstract socket names so tests never meet another run's sockets.</summary>
internal static class MemifTestNames
{
    public static string Socket(string what) => $"/flow-test/{what}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>Bounded wait polling a condition (no sleeps as synchronisation).</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan? timeout = null)
    {
        long deadline = Environment.TickCount64 + (long)(timeout ?? Limit).TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            Thread.Sleep(2);
        }
        return true;
    }
}
