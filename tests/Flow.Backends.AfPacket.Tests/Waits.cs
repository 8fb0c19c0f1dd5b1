namespace Flow.Backends.AfPacket.Tests;

internal static class Waits
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Polls a condition until it holds or the bound passes (then throws naming what was awaited).</summary>
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
