namespace Flow.TestKit;

/// <summary>
/// Bounded waits for conditions another thread, process or the kernel makes true: tests poll
/// instead of sleeping a fixed time, and a wait that runs out names what it waited for.
/// </summary>
public static class Waits
{
    /// <summary>The default bound: long enough for a loaded two-core machine, short enough to fail fast.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Polls until <paramref name="condition"/> holds; throws naming <paramref name="what"/> when the bound passes.</summary>
    public static async Task Until(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        if (!await TryUntil(condition, limit).ConfigureAwait(false))
        {
            throw new TimeoutException($"gave up waiting for {what} after {(limit ?? Limit).TotalSeconds} s");
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the bound passes; says which.</summary>
    public static async Task<bool> TryUntil(Func<bool> condition, TimeSpan? limit = null)
    {
        long deadline = Environment.TickCount64 + (long)(limit ?? Limit).TotalMilliseconds;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            await Task.Delay(5).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>The blocking form of <see cref="TryUntil"/>, for constructors and Dispose.</summary>
    public static bool TryUntilBlocking(Func<bool> condition, TimeSpan? limit = null)
    {
        long deadline = Environment.TickCount64 + (long)(limit ?? Limit).TotalMilliseconds;
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
