namespace Flow.Hosting.Live;

/// <summary>
/// Copies of captured packets on their way from a worker to the capture's writer thread: a
/// bounded single-producer single-consumer ring of fixed slots, allocated once.
/// </summary>
/// <remarks>
/// Design: the producer is the worker running the watched stage, the consumer the writer
/// thread. The producer never waits: when every slot is taken it counts a drop and goes on,
/// so a slow disk costs the capture packets, never the data path. Indices only grow; a slot
/// is <c>index &amp; mask</c>. The producer publishes a filled slot with a Volatile write of
/// <c>_tail</c> after writing it (release), the consumer frees one with a Volatile write of
/// <c>_head</c> after reading it; each reads the other's index with Volatile (acquire) and keeps
/// its own copy of it to read the shared one only when the ring looks full or empty.
/// </remarks>
internal sealed class CaptureRing
{
    private readonly byte[] _data;
    private readonly CaptureRecord[] _records;
    private readonly int _slotBytes;
    private readonly long _mask;
    private long _tail;
    private long _headCopy;
    private long _head;
    private long _dropped;

    public CaptureRing(int slots, int slotBytes)
    {
        if (slots <= 0 || (slots & (slots - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slots), slots, "a power of two");
        }
        _slotBytes = slotBytes;
        _data = new byte[(long)slots * slotBytes];
        _records = new CaptureRecord[slots];
        _mask = slots - 1;
    }

    public int SlotBytes => _slotBytes;

    /// <summary>Packets the ring had no room for.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Producer: copies up to the slot size of <paramref name="packet"/>; false (and a drop counted) when full.</summary>
    public bool TryWrite(ReadOnlySpan<byte> packet, long timestamp, int comment)
    {
        long tail = _tail;
        if (tail - _headCopy > _mask)
        {
            _headCopy = Volatile.Read(ref _head);
            if (tail - _headCopy > _mask)
            {
                Volatile.Write(ref _dropped, _dropped + 1);
                return false;
            }
        }
        int slot = (int)(tail & _mask);
        int length = Math.Min(packet.Length, _slotBytes);
        packet.Slice(0, length).CopyTo(_data.AsSpan(slot * _slotBytes, length));
        _records[slot] = new CaptureRecord(timestamp, packet.Length, length, comment);
        Volatile.Write(ref _tail, tail + 1);
        return true;
    }

    /// <summary>Consumer: the oldest record and its bytes, or false when empty. Call <see cref="Release"/> after using it.</summary>
    public bool TryPeek(out CaptureRecord record, out ReadOnlySpan<byte> bytes)
    {
        long head = _head;
        if (head == Volatile.Read(ref _tail))
        {
            record = default;
            bytes = default;
            return false;
        }
        int slot = (int)(head & _mask);
        record = _records[slot];
        bytes = _data.AsSpan(slot * _slotBytes, record.CapturedLength);
        return true;
    }

    public void Release() => Volatile.Write(ref _head, _head + 1);

    /// <summary>One captured packet: when (Stopwatch ticks), its length on the wire and in the slot, and a comment index (0: none).</summary>
    internal readonly record struct CaptureRecord(long Timestamp, int OriginalLength, int CapturedLength, int Comment);
}
