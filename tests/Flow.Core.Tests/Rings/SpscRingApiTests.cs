using System.Runtime.CompilerServices;
using Xunit;

namespace Flow.Core.Tests.Rings;

public class SpscRingApiTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    public void RejectsCapacityThatIsNotAPowerOfTwo(int capacity)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpscRing<long>(capacity));
    }

    [Fact]
    public void ReserveSubmitAndPeekReleaseWorkInPlace()
    {
        var ring = new SpscRing<int>(4);
        Assert.Equal(3, ring.Reserve(3, out long position));
        for (int i = 0; i < 3; i++)
        {
            ring.Slot(position + i) = 10 + i;
        }
        Assert.Equal(0, ring.Peek(4, out _));
        ring.Submit(3);
        Assert.Equal(3, ring.Peek(4, out long read));
        Assert.Equal(10, ring.Slot(read));
        Assert.Equal(12, ring.Slot(read + 2));
        ring.Release(2);
        Assert.Equal(1, ring.Count);
        Assert.Equal(3, ring.Reserve(8, out _));
    }

    [Fact]
    public unsafe void ProducerAndConsumerStateSitOnSeparateCacheLines()
    {
        Assert.Equal(4 * 128, Unsafe.SizeOf<RingIndexes>());
        RingIndexes indexes = default;
        byte* start = (byte*)&indexes;
        long producer = (byte*)&indexes.Producer - start;
        long consumer = (byte*)&indexes.Consumer - start;
        Assert.Equal(128, producer);
        Assert.Equal(256, consumer);
        Assert.Equal(16, Unsafe.SizeOf<ProducerState>());
        Assert.Equal(16, Unsafe.SizeOf<ConsumerState>());
    }
}
