using System.Numerics;

namespace Flow.Net.Internal;

/// <summary>
/// A single-producer, single-consumer ring of bytes between an application thread and the
/// stack's worker: a TCP connection's send buffer (the application writes, the worker reads and
/// releases what the peer acknowledged) or receive buffer (the worker writes in-order data, the
/// application reads). Positions are byte counts since the start, never wrapped: the consumer
/// may read at any position between <see cref="Head"/> and <see cref="Tail"/> (a retransmission
/// reads again what it sent before).
/// </summary>
internal sealed class ByteRing
{
    private readonly byte[] _bytes;
    private readonly int _mask;
    private long _head;
    private long _tail;

    public ByteRing(int capacity)
    {
        if (capacity < 64 || !BitOperations.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a power of two of at least 64 bytes");
        }
        _bytes = new byte[capacity];
        _mask = capacity - 1;
    }

    public int Capacity => _bytes.Length;

    /// <summary>The oldest byte not yet released (consumer's position).</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>One past the newest byte written (producer's position).</summary>
    public long Tail => Volatile.Read(ref _tail);

    public int Count => (int)(Tail - Head);

    public int Free => _bytes.Length - Count;

    /// <summary>Producer: appends as much of <paramref name="data"/> as fits; returns how many bytes.</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        long tail = _tail;
        int n = Math.Min(data.Length, _bytes.Length - (int)(tail - Volatile.Read(ref _head)));
        if (n <= 0)
        {
            return 0;
        }
        int start = (int)(tail & _mask);
        int first = Math.Min(n, _bytes.Length - start);
        data.Slice(0, first).CopyTo(_bytes.AsSpan(start));
        data.Slice(first, n - first).CopyTo(_bytes);
        // Release: the bytes are in place before the consumer sees the new tail.
        Volatile.Write(ref _tail, tail + n);
        return n;
    }

    /// <summary>
    /// Producer: writes <paramref name="data"/> <paramref name="offset"/> bytes past the tail
    /// without publishing it (data that arrived ahead of a gap); false when it does not fit the
    /// free space. <see cref="Publish"/> makes it readable once the gap before it is filled.
    /// </summary>
    public bool WriteAhead(int offset, ReadOnlySpan<byte> data)
    {
        long tail = _tail;
        if (offset < 0 || offset + data.Length > _bytes.Length - (int)(tail - Volatile.Read(ref _head)))
        {
            return false;
        }
        long position = tail + offset;
        int start = (int)(position & _mask);
        int first = Math.Min(data.Length, _bytes.Length - start);
        data.Slice(0, first).CopyTo(_bytes.AsSpan(start));
        data.Slice(first).CopyTo(_bytes);
        return true;
    }

    /// <summary>Producer: makes <paramref name="count"/> bytes written ahead readable.</summary>
    public void Publish(int count) => Volatile.Write(ref _tail, _tail + count);

    /// <summary>Consumer: copies bytes from <paramref name="position"/> (between head and tail) into <paramref name="destination"/>; returns how many.</summary>
    public int CopyOut(long position, Span<byte> destination)
    {
        int n = (int)Math.Min(destination.Length, Tail - position);
        if (n <= 0)
        {
            return 0;
        }
        int start = (int)(position & _mask);
        int first = Math.Min(n, _bytes.Length - start);
        _bytes.AsSpan(start, first).CopyTo(destination);
        _bytes.AsSpan(0, n - first).CopyTo(destination.Slice(first));
        return n;
    }

    /// <summary>
    /// Producer: the free space from <paramref name="offset"/> bytes past the tail to the end of the
    /// array or to the head, whichever comes first — the ring's own memory, to be written in place
    /// and then made readable with <see cref="Publish"/>. Empty when nothing is free there.
    /// </summary>
    public Memory<byte> FreeSpace(int offset)
    {
        long position = _tail + offset;
        int free = _bytes.Length - (int)(position - Volatile.Read(ref _head));
        int start = (int)(position & _mask);
        return free <= 0 ? Memory<byte>.Empty : _bytes.AsMemory(start, Math.Min(free, _bytes.Length - start));
    }

    /// <summary>
    /// Consumer: the bytes in [<paramref name="position"/>, <paramref name="end"/>) as the ring's own
    /// memory, in at most two pieces (the second when the range wraps past the array's end). They
    /// stay valid until <see cref="ReleaseTo"/> frees them.
    /// </summary>
    public (ReadOnlyMemory<byte> First, ReadOnlyMemory<byte> Second) Readable(long position, long end)
    {
        int n = (int)(end - position);
        int start = (int)(position & _mask);
        int first = Math.Min(n, _bytes.Length - start);
        return (_bytes.AsMemory(start, first), _bytes.AsMemory(0, n - first));
    }

    /// <summary>Consumer: frees every byte before <paramref name="position"/> for the producer.</summary>
    public void ReleaseTo(long position)
    {
        if (position > _head)
        {
            Volatile.Write(ref _head, Math.Min(position, Tail));
        }
    }
}
