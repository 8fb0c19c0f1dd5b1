using System.Runtime.CompilerServices;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Flow.Core.Tests.Rings;

public class SpscRingBulkTests
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
    public void EnqueueStopsAtCapacityAndReportsHowManyFit()
    {
        var ring = new SpscRing<int>(8);
        Assert.Equal(8, ring.Enqueue(Enumerable.Range(0, 9).ToArray()));
        Assert.Equal(0, ring.Enqueue([99]));
        Assert.Equal(8, ring.Count);
        var output = new int[16];
        Assert.Equal(8, ring.Dequeue(output));
        Assert.Equal(Enumerable.Range(0, 8), output.Take(8));
        Assert.Equal(0, ring.Dequeue(output));
    }

    [Fact]
    public void WrapsAroundKeepingOrder()
    {
        var ring = new SpscRing<int>(8);
        var output = new int[8];
        int next = 0;
        int expected = 0;
        for (int round = 0; round < 100; round++)
        {
            int n = ring.Enqueue(new[] { next, next + 1, next + 2, next + 3, next + 4 });
            next += n;
            int m = ring.Dequeue(output.AsSpan(0, 3));
            for (int i = 0; i < m; i++)
            {
                Assert.Equal(expected++, output[i]);
            }
        }
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

    [Fact]
    public void BehavesLikeABoundedQueueForAnySequenceOfBulkOperations()
    {
        Prop.ForAll(Arb.From(Gen.ListOf(Gen.Choose(-9, 9))), ops =>
        {
            var ring = new SpscRing<int>(8);
            var model = new Queue<int>();
            int next = 0;
            foreach (int op in ops)
            {
                if (op >= 0)
                {
                    int[] items = Enumerable.Range(next, op).ToArray();
                    int n = ring.Enqueue(items);
                    if (n != Math.Min(op, 8 - model.Count))
                    {
                        return false;
                    }
                    for (int i = 0; i < n; i++)
                    {
                        model.Enqueue(items[i]);
                    }
                    next += op;
                }
                else
                {
                    var output = new int[-op];
                    int n = ring.Dequeue(output);
                    if (n != Math.Min(-op, model.Count))
                    {
                        return false;
                    }
                    for (int i = 0; i < n; i++)
                    {
                        if (output[i] != model.Dequeue())
                        {
                            return false;
                        }
                    }
                }
                if (ring.Count != model.Count)
                {
                    return false;
                }
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }
}
