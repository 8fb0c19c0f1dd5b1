using Xunit;

namespace Flow.Core.Tests.Packets;

/// <summary>
/// <see cref="PacketPool.TryWhileAllFramesHome"/>: the hook a backend uses to replace a pool's
/// memory between connections. It runs only when no frame is allocated, and nothing can be
/// allocated from the shared free list while it runs.
/// </summary>
public class PacketPoolQuiescenceTests
{
    [Fact]
    public void RunsWhenEveryFrameIsHomeAndTheFreeListIsEmptyMeanwhile()
    {
        using PacketPool pool = PacketPool.Create(64);
        int availableInside = -1;
        bool allocatedInside = true;

        bool ran = pool.TryWhileAllFramesHome(() =>
        {
            availableInside = pool.Available;
            allocatedInside = pool.TryAllocate(out _);
        });

        Assert.True(ran);
        Assert.Equal(0, availableInside);
        Assert.False(allocatedInside);
        Assert.Equal(1, pool.AllocationFailures);
        Assert.Equal(64, pool.Available); // every frame came back
        var all = new Packet[64];
        Assert.Equal(64, pool.AllocateBulk(all));
        pool.FreeBulk(all);
    }

    [Fact]
    public void DoesNotRunWhileAFrameIsAllocatedAndRunsOnceItIsFreed()
    {
        using PacketPool pool = PacketPool.Create(64);
        Assert.True(pool.TryAllocate(out Packet held));
        int runs = 0;

        Assert.False(pool.TryWhileAllFramesHome(() => runs++));
        Assert.Equal(0, runs);
        Assert.Equal(63, pool.Available);

        pool.Free(held);
        Assert.True(pool.TryWhileAllFramesHome(() => runs++));
        Assert.Equal(1, runs);
    }

    [Fact]
    public void AFrameAllocatedForReceiveCountsAsAway()
    {
        using PacketPool pool = PacketPool.Create(64);
        var posted = new Packet[1];
        Assert.Equal(1, pool.AllocateBulkForReceive(posted));

        Assert.False(pool.TryWhileAllFramesHome(() => { }));

        pool.FreeBulk(posted);
        Assert.True(pool.TryWhileAllFramesHome(() => { }));
    }
}
