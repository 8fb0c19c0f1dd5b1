using System.Globalization;

namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// CPU time a thread has run, from /proc/self/task/&lt;tid&gt;/schedstat (nanoseconds). Packets per
/// CPU-second is the cost figure that survives a busy machine; wall-clock rates do not.
/// </summary>
public static class ThreadCpuTime
{
    public static long Nanoseconds(int osThreadId)
    {
        string text = File.ReadAllText($"/proc/self/task/{osThreadId}/schedstat");
        return long.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
    }

    public static long Nanoseconds(IEnumerable<int> osThreadIds) => osThreadIds.Sum(Nanoseconds);

    /// <summary>CPU time of thread <paramref name="osThreadId"/> of any process (/proc/&lt;tid&gt;/schedstat), in nanoseconds.</summary>
    public static long NanosecondsOfAnyThread(int osThreadId)
    {
        string text = File.ReadAllText($"/proc/{osThreadId}/schedstat");
        return long.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
    }
}
