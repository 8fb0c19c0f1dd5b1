using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Internal;

/// <summary>
/// Bounded multi-producer multi-consumer ring of frame indices with bulk operations: the free
/// list behind <see cref="Flow.PacketPool"/>.
/// </summary>
/// <remarks>
/// Design: DPDK rte_ring's MP/MC scheme. Each side has a head (claimed by CAS) and a tail
/// (published once the claimed slots are copied). A bulk operation costs one CAS and one
/// release store however many indices it moves, which is why a pool frees a whole batch at
/// once. A side whose predecessor has claimed but not yet published waits for it; the wait is
/// bounded by one preempted thread's copy of at most a batch, and yields after a short spin so
/// it cannot starve that thread on an oversubscribed core. The ring never holds more indices
/// than the pool has frames, so enqueue always fits.
/// </remarks>
internal sealed class FrameIndexRing
{
    private readonly uint[] _slots;
    private readonly int _mask;
    private Indexes _indexes;

    public FrameIndexRing(int capacity)
    {
        Debug.Assert(BitOperations.IsPow2(capacity), "capacity must be a power of two");
        _slots = new uint[capacity];
        _mask = capacity - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>Indices on the ring now (racy snapshot).</summary>
    public int Count => (int)(Volatile.Read(ref _indexes.ProducerTail) - Volatile.Read(ref _indexes.ConsumerTail));

    public void Enqueue(ReadOnlySpan<uint> items)
    {
        int n = items.Length;
        if (n == 0)
        {
            return;
        }
        long head;
        do
        {
            head = Volatile.Read(ref _indexes.ProducerHead);
            // Checked in release builds too: more indices than slots can only be a frame freed
            // twice at once (the pool's canary check is not atomic), and an overrun would hand the
            // same frame out twice. One read of a line the consumers write, per bulk.
            if (head + n - Volatile.Read(ref _indexes.ConsumerTail) > _slots.Length)
            {
                ThrowHelper.ThrowInvalidOperation("free list overflow: a frame was freed twice at the same time");
            }
        }
        while (Interlocked.CompareExchange(ref _indexes.ProducerHead, head + n, head) != head);

        Copy(items, head);
        WaitFor(ref _indexes.ProducerTail, head);
        // Release: the copied slots become visible before the new tail does.
        Volatile.Write(ref _indexes.ProducerTail, head + n);
    }

    /// <summary>Takes up to <paramref name="destination"/>.Length indices; returns how many.</summary>
    public int Dequeue(Span<uint> destination)
    {
        long head;
        int n;
        do
        {
            head = Volatile.Read(ref _indexes.ConsumerHead);
            // Acquire: slots up to the producer tail are fully written.
            long available = Volatile.Read(ref _indexes.ProducerTail) - head;
            n = (int)Math.Min(available, destination.Length);
            if (n <= 0)
            {
                return 0;
            }
        }
        while (Interlocked.CompareExchange(ref _indexes.ConsumerHead, head + n, head) != head);

        int start = (int)(head & _mask);
        int first = Math.Min(n, _slots.Length - start);
        _slots.AsSpan(start, first).CopyTo(destination);
        _slots.AsSpan(0, n - first).CopyTo(destination.Slice(first));
        WaitFor(ref _indexes.ConsumerTail, head);
        Volatile.Write(ref _indexes.ConsumerTail, head + n);
        return n;
    }

    private void Copy(ReadOnlySpan<uint> items, long head)
    {
        int start = (int)(head & _mask);
        int first = Math.Min(items.Length, _slots.Length - start);
        items.Slice(0, first).CopyTo(_slots.AsSpan(start));
        items.Slice(first).CopyTo(_slots);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WaitFor(ref long tail, long expected)
    {
        if (Volatile.Read(ref tail) != expected)
        {
            WaitForSlow(ref tail, expected);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WaitForSlow(ref long tail, long expected)
    {
        var spinner = new SpinWait();
        while (Volatile.Read(ref tail) != expected)
        {
            spinner.SpinOnce();
        }
    }

    [StructLayout(LayoutKind.Explicit, Size = 5 * CacheLine.Size)]
    private struct Indexes
    {
        [FieldOffset(1 * CacheLine.Size)] public long ProducerHead;
        [FieldOffset(1 * CacheLine.Size + 8)] public long ProducerTail;
        [FieldOffset(3 * CacheLine.Size)] public long ConsumerHead;
        [FieldOffset(3 * CacheLine.Size + 8)] public long ConsumerTail;
    }
}
