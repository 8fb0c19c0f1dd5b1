using Xunit;

namespace Flow.TestKit;

/// <summary>
/// A packet pool for tests that fails the test at dispose if any frame is still out, or if a
/// free was refused (double free) — the Pipelines TestMemoryPool idea.
/// </summary>
public sealed class LeakCheckingPool : IDisposable
{
    public LeakCheckingPool(int frames = 1024, int frameSize = PacketPool.DefaultFrameSize)
    {
        Pool = PacketPool.Create(frames, frameSize, name: "test");
    }

    public PacketPool Pool { get; }

    /// <summary>Allocates a packet holding <paramref name="bytes"/>.</summary>
    public Packet Make(ReadOnlySpan<byte> bytes)
    {
        Assert.True(Pool.TryAllocate(out Packet packet), "test pool exhausted");
        Assert.True(packet.TrySetLength(bytes.Length), $"{bytes.Length} bytes do not fit a test frame");
        bytes.CopyTo(packet.Data);
        return packet;
    }

    public void Dispose()
    {
        int outstanding = Pool.Outstanding;
        long invalid = Pool.InvalidFrees;
        Pool.Dispose();
        Assert.True(outstanding == 0, $"{outstanding} packet(s) leaked: taken from the test pool and never freed");
        Assert.True(invalid == 0, $"{invalid} invalid free(s) (double free or foreign frame)");
    }
}
