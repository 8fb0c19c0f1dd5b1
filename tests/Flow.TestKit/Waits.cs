namespace Flow.TestKit;

/// <summary>
/// Bounded waits for conditions another thread, process or the kernel makes true: tests poll
/// instead of sleeping a fixed time, and a wait that runs out names what it waited for. The one
/// implementation every test project uses (conditions that are plain checks, or that ask
/// something asynchronously such as a control socket or a command).
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
            throw GaveUp(what, limit);
        }
    }

    /// <summary>Polls an asynchronous <paramref name="condition"/> until it holds; throws naming <paramref name="what"/> when the bound passes.</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        if (!await TryUntil(condition, limit).ConfigureAwait(false))
        {
            throw GaveUp(what, limit);
        }
    }

    /// <summary>
    /// Polls until <paramref name="condition"/> holds; when the bound passes, throws with what
    /// <paramref name="describe"/> says then (the state reached, a child process's output).
    /// </summary>
    public static async Task Until(Func<bool> condition, Func<string> describe, TimeSpan? limit = null)
    {
        if (!await TryUntil(condition, limit).ConfigureAwait(false))
        {
            throw GaveUp(describe(), limit);
        }
    }

    /// <summary>Polls an asynchronous <paramref name="condition"/>; when the bound passes, throws with what <paramref name="describe"/> says then.</summary>
    public static async Task Until(Func<Task<bool>> condition, Func<string> describe, TimeSpan? limit = null)
    {
        if (!await TryUntil(condition, limit).ConfigureAwait(false))
        {
            throw GaveUp(describe(), limit);
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the bound passes; says which.</summary>
    public static Task<bool> TryUntil(Func<bool> condition, TimeSpan? limit = null) =>
        TryUntil(() => Task.FromResult(condition()), limit);

    /// <summary>Polls an asynchronous <paramref name="condition"/> until it holds or the bound passes; says which.</summary>
    public static async Task<bool> TryUntil(Func<Task<bool>> condition, TimeSpan? limit = null)
    {
        long deadline = Deadline(limit);
        while (!await condition().ConfigureAwait(false))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            await Task.Delay(5).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>The blocking form of <see cref="TryUntil(Func{bool}, TimeSpan?)"/>, for constructors and Dispose.</summary>
    public static bool TryUntilBlocking(Func<bool> condition, TimeSpan? limit = null)
    {
        long deadline = Deadline(limit);
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

    private static long Deadline(TimeSpan? limit) => Environment.TickCount64 + (long)(limit ?? Limit).TotalMilliseconds;

    private static TimeoutException GaveUp(string what, TimeSpan? limit) =>
        new($"gave up waiting for {what} after {(limit ?? Limit).TotalSeconds} s");
}
