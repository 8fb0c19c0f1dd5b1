using System.Numerics;
using System.Runtime.CompilerServices;
using Flow.Internal;

namespace Flow;

/// <summary>
/// Lock-free single-producer single-consumer ring of unmanaged handles (packets, descriptors),
/// with bulk operations. The edge between two workers.
/// </summary>
/// <remarks>
/// Design:
/// - Capacity is a power of two; indices are free-running 64-bit counters masked into the
///   array, so full (producer - consumer == capacity) and empty (equal) are unambiguous.
/// - Producer state (its published index and its cached copy of the consumer's) and consumer
///   state live in separate padded structs on separate cache lines (<see cref="RingIndexes"/>),
///   so neither side's writes invalidate the line the other side writes.
/// - Each side keeps a cached copy of the other side's index and re-reads the shared one only
///   when the cache says the ring is full (producer) or empty (consumer); the common case
///   touches no line the other core is writing (libxdp xsk.h cached_prod/cached_cons).
/// - Two-phase API like xsk.h: <see cref="Reserve"/> then <see cref="Submit"/> on the
///   producer, <see cref="Peek"/> then <see cref="Release"/> on the consumer. Slots are written
///   before the index that publishes them (Volatile.Write = release) and read after the index
///   that published them (Volatile.Read = acquire).
/// - Only one thread may produce and only one may consume; the ring does not check this.
/// </remarks>
public sealed class SpscRing<T> where T : unmanaged
{
    private readonly T[] _slots;
    private readonly long _mask;
    private RingIndexes _indexes;

    public SpscRing(int capacity)
    {
        if (capacity < 2 || !BitOperations.IsPow2(capacity))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(capacity), capacity, "ring capacity must be a power of two, at least 2");
        }
        _slots = new T[capacity];
        _mask = capacity - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>Entries on the ring (a racy snapshot when read by a third thread).</summary>
    public int Count => (int)(Volatile.Read(ref _indexes.Producer.Index) - Volatile.Read(ref _indexes.Consumer.Index));

    public bool IsEmpty => Count == 0;

    /// <summary>
    /// Producer: claims up to <paramref name="count"/> free slots starting at the returned
    /// position (read through <see cref="Slot"/>); returns how many were claimed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Reserve(int count, out long position)
    {
        ref ProducerState producer = ref _indexes.Producer;
        position = producer.Index;
        long free = _slots.Length - (position - producer.CachedConsumer);
        if (free < count)
        {
            // Acquire: the consumer finished reading every slot below its index.
            producer.CachedConsumer = Volatile.Read(ref _indexes.Consumer.Index);
            free = _slots.Length - (position - producer.CachedConsumer);
        }
        return (int)Math.Min(free, count);
    }

    /// <summary>Producer: publishes <paramref name="count"/> slots filled after <see cref="Reserve"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Submit(int count)
    {
        // Release: slot writes happen before the consumer can see the new index.
        Volatile.Write(ref _indexes.Producer.Index, _indexes.Producer.Index + count);
    }

    /// <summary>
    /// Consumer: finds up to <paramref name="count"/> filled slots starting at the returned
    /// position; returns how many.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Peek(int count, out long position)
    {
        ref ConsumerState consumer = ref _indexes.Consumer;
        position = consumer.Index;
        long available = consumer.CachedProducer - position;
        if (available < count)
        {
            // Acquire: slots below the producer's index are fully written.
            consumer.CachedProducer = Volatile.Read(ref _indexes.Producer.Index);
            available = consumer.CachedProducer - position;
        }
        return (int)Math.Min(available, count);
    }

    /// <summary>Consumer: frees <paramref name="count"/> slots read after <see cref="Peek"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Release(int count)
    {
        // Release: our slot reads complete before the producer may overwrite them.
        Volatile.Write(ref _indexes.Consumer.Index, _indexes.Consumer.Index + count);
    }

    /// <summary>The slot at a position returned by <see cref="Reserve"/> or <see cref="Peek"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T Slot(long position) => ref _slots[position & _mask];

    /// <summary>Producer: enqueues as many items as fit; returns how many (the caller drops and counts the rest).</summary>
    public int Enqueue(ReadOnlySpan<T> items)
    {
        int n = Reserve(items.Length, out long position);
        if (n == 0)
        {
            return 0;
        }
        int start = (int)(position & _mask);
        int first = Math.Min(n, _slots.Length - start);
        items.Slice(0, first).CopyTo(_slots.AsSpan(start));
        items.Slice(first, n - first).CopyTo(_slots);
        Submit(n);
        return n;
    }

    /// <summary>Consumer: dequeues up to <paramref name="destination"/>.Length items; returns how many.</summary>
    public int Dequeue(Span<T> destination)
    {
        int n = Peek(destination.Length, out long position);
        if (n == 0)
        {
            return 0;
        }
        int start = (int)(position & _mask);
        int first = Math.Min(n, _slots.Length - start);
        _slots.AsSpan(start, first).CopyTo(destination);
        _slots.AsSpan(0, n - first).CopyTo(destination.Slice(first));
        Release(n);
        return n;
    }
}
