using Xunit;

namespace Flow.Core.Tests.Packets;

[Collection(nameof(CoreBoundCollection))]
public class PacketPoolThreadingTests
{
    [Fact]
    public async Task PoolsAreSafeAcrossThreads()
    {
        using PacketPool pool = PacketPool.Create(512);
        var ring = new SpscRing<Packet>(256);
        const int total = 200_000;
        var producer = Task.Run(() =>
        {
            var batch = new Packet[32];
            int sent = 0;
            while (sent < total)
            {
                int n = pool.AllocateBulk(batch.AsSpan(0, Math.Min(32, total - sent)));
                int queued = 0;
                while (queued < n)
                {
                    queued += ring.Enqueue(batch.AsSpan(queued, n - queued));
                }
                sent += n;
            }
        });
        var consumer = Task.Run(() =>
        {
            var batch = new Packet[32];
            int received = 0;
            while (received < total)
            {
                int n = ring.Dequeue(batch);
                pool.FreeBulk(batch.AsSpan(0, n));
                received += n;
            }
        });
        await Task.WhenAll(producer, consumer).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, pool.InvalidFrees);
    }
}
