namespace Flow.Backends.Tap.Tests;

internal static class Waits
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static async Task Until(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"gave up waiting for {what}");
            }
            await Task.Delay(10);
        }
    }
}
