using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Flow.Core.Tests.Rings;

/// <summary>
/// What every ring of handles in Flow must do, whatever its producer/consumer model: keep FIFO
/// order through wrap-around, report how many items moved, never lose or invent one. Each ring
/// type is a sealed leaf with a factory; capabilities that differ are separate tests in the
/// leaves, never early returns here.
/// </summary>
public abstract class RingConformanceTests
{
    /// <summary>A ring under test, seen through the operations every ring has.</summary>
    public interface IRing
    {
        int Capacity { get; }

        int Count { get; }

        int Enqueue(ReadOnlySpan<uint> items);

        int Dequeue(Span<uint> destination);
    }

    protected abstract IRing Create(int capacity);

    [Fact]
    public void AnEmptyRingDequeuesNothing()
    {
        IRing ring = Create(8);
        Assert.Equal(0, ring.Dequeue(new uint[4]));
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void WrapsAroundKeepingOrder()
    {
        IRing ring = Create(8);
        var output = new uint[8];
        uint next = 0;
        uint expected = 0;
        for (int round = 0; round < 100; round++)
        {
            int free = ring.Capacity - ring.Count;
            uint[] items = Enumerable.Range(0, Math.Min(5, free)).Select(i => next + (uint)i).ToArray();
            next += (uint)ring.Enqueue(items);
            int m = ring.Dequeue(output.AsSpan(0, 3));
            for (int i = 0; i < m; i++)
            {
                Assert.Equal(expected++, output[i]);
            }
        }
    }

    [Fact]
    public void BehavesLikeAQueueForAnySequenceOfBulkOperationsThatFit()
    {
        Prop.ForAll(Arb.From(Gen.ListOf(Gen.Choose(-9, 9))), ops =>
        {
            IRing ring = Create(16);
            var model = new Queue<uint>();
            uint next = 0;
            foreach (int op in ops)
            {
                if (op >= 0)
                {
                    int n = Math.Min(op, ring.Capacity - model.Count);
                    uint[] items = Enumerable.Range(0, n).Select(i => next + (uint)i).ToArray();
                    if (ring.Enqueue(items) != n)
                    {
                        return false;
                    }
                    foreach (uint item in items)
                    {
                        model.Enqueue(item);
                    }
                    next += (uint)n;
                }
                else
                {
                    var output = new uint[-op];
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

/// <summary>The SPSC ring between workers; it also reports how much of an oversized enqueue fit.</summary>
public sealed class SpscRingConformanceTests : RingConformanceTests
{
    protected override IRing Create(int capacity) => new Adapter(new SpscRing<uint>(capacity));

    [Fact]
    public void EnqueueStopsAtCapacityAndReportsHowManyFit()
    {
        IRing ring = Create(8);
        Assert.Equal(8, ring.Enqueue(Enumerable.Range(0, 9).Select(i => (uint)i).ToArray()));
        Assert.Equal(0, ring.Enqueue([99]));
        var output = new uint[16];
        Assert.Equal(8, ring.Dequeue(output));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (uint)i), output.Take(8));
    }

    private sealed class Adapter(SpscRing<uint> ring) : IRing
    {
        public int Capacity => ring.Capacity;

        public int Count => ring.Count;

        public int Enqueue(ReadOnlySpan<uint> items) => ring.Enqueue(items);

        public int Dequeue(Span<uint> destination) => ring.Dequeue(destination);
    }
}

/// <summary>The MPMC free list behind packet pools; it never holds more than the pool's frames, so every enqueue fits.</summary>
public sealed class FrameIndexRingConformanceTests : RingConformanceTests
{
    protected override IRing Create(int capacity) => new Adapter(new Flow.Internal.FrameIndexRing(capacity));

    [Fact]
    public async Task ManyThreadsFreeingAndAllocatingLoseNothing()
    {
        var ring = new Flow.Internal.FrameIndexRing(1024);
        ring.Enqueue(Enumerable.Range(0, 1024).Select(i => (uint)i).ToArray());
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var held = new uint[17];
            for (int i = 0; i < 20_000; i++)
            {
                int n = ring.Dequeue(held);
                ring.Enqueue(held.AsSpan(0, n));
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        var all = new uint[1024];
        Assert.Equal(1024, ring.Dequeue(all));
        Assert.Equal(Enumerable.Range(0, 1024).Select(i => (uint)i), all.Order());
    }

    private sealed class Adapter(Flow.Internal.FrameIndexRing ring) : IRing
    {
        public int Capacity => ring.Capacity;

        public int Count => ring.Count;

        public int Enqueue(ReadOnlySpan<uint> items)
        {
            ring.Enqueue(items);
            return items.Length;
        }

        public int Dequeue(Span<uint> destination) => ring.Dequeue(destination);
    }
}
