using Xunit;

namespace Flow.Core.Tests.Packets;

public unsafe class PacketPoolThreadCacheTests
{
    private static void OnCachingThread(Action action) => PoolThread.Run(withFrameCaches: true, action);

    [Fact]
    public void FramesInAWorkersCacheStillCountAsAvailable()
    {
        using PacketPool pool = PacketPool.Create(4096);
        OnCachingThread(() =>
        {
            var packets = new Packet[100];
            Assert.Equal(100, pool.AllocateBulk(packets));
            Assert.Equal(4096 - 100, pool.Available);
            pool.FreeBulk(packets);
            Assert.Equal(4096, pool.Available);
            Assert.Equal(0, pool.Outstanding);
        });
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void CachedAllocationReusesTheMostRecentlyFreedFrames()
    {
        using PacketPool pool = PacketPool.Create(4096);
        OnCachingThread(() =>
        {
            var first = new Packet[32];
            pool.AllocateBulk(first);
            pool.FreeBulk(first);
            var second = new Packet[32];
            pool.AllocateBulk(second);
            Assert.Equal(first.Select(p => (nint)p.Frame).Order(), second.Select(p => (nint)p.Frame).Order());
            pool.FreeBulk(second);
        });
    }

    [Fact]
    public void ACacheThatOnlyFreesSpillsSoAnotherThreadNeverStarves()
    {
        using PacketPool pool = PacketPool.Create(1024);
        var all = new Packet[1024];
        Assert.Equal(1024, pool.AllocateBulk(all));
        OnCachingThread(() => pool.FreeBulk(all));
        // The freeing thread has ended: everything it cached is back in the shared ring.
        var again = new Packet[1024];
        Assert.Equal(1024, pool.AllocateBulk(again));
        pool.FreeBulk(again);
    }

    [Fact]
    public void CachedAllocationCountsExhaustion()
    {
        using PacketPool pool = PacketPool.Create(512);
        OnCachingThread(() =>
        {
            var packets = new Packet[600];
            Assert.Equal(512, pool.AllocateBulk(packets));
            Assert.Equal(88, pool.AllocationFailures);
            pool.FreeBulk(packets.AsSpan(0, 512));
            pool.FreeBulk(packets.AsSpan(0, 1));
            Assert.Equal(1, pool.InvalidFrees);
        });
        Assert.Equal(512, pool.Available);
    }
}
