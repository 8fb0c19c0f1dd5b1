namespace Flow.Core.Tests.Packets;

/// <summary>Runs a test body on a fresh thread, as a worker (with frame caches) or as any other thread.</summary>
internal static class PoolThread
{
    public static void Run(bool withFrameCaches, Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            if (withFrameCaches)
            {
                PacketPool.EnableThreadCaches();
            }
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                PacketPool.ReleaseThreadCaches();
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new Xunit.Sdk.XunitException($"the {(withFrameCaches ? "caching" : "plain")} thread failed: {failure}");
        }
    }
}
