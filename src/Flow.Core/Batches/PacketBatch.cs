using System.Runtime.CompilerServices;
using Flow.Internal;

namespace Flow;

/// <summary>
/// A fixed-capacity array of packet handles with a count: what stages take and give. Allocated
/// once when a graph is built and reused for every batch.
/// </summary>
public sealed class PacketBatch
{
    /// <summary>Default capacity of a batch (VPP's frame size).</summary>
    public const int DefaultCapacity = 256;

    // Not readonly: TakeAll hands whole arrays between batches instead of copying handles.
    private Packet[] _packets;
    private PaddedCount _count;

    public PacketBatch(int capacity = DefaultCapacity)
    {
        if (capacity <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(capacity), capacity, "a batch holds at least one packet");
        }
        _packets = new Packet[capacity];
    }

    public int Capacity => _packets.Length;

    public int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _count.Value;
    }

    public bool IsFull => _count.Value == _packets.Length;

    /// <summary>Room left.</summary>
    public int Free => _packets.Length - _count.Value;

    /// <summary>The packets in the batch.</summary>
    public Span<Packet> Packets
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(_packets, 0, _count.Value);
    }

    public ref Packet this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)_count.Value)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(index), index, "index outside the batch");
            }
            return ref _packets[index];
        }
    }

    /// <summary>Appends a packet; the caller has checked there is room.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(Packet packet) => _packets[_count.Value++] = packet;

    /// <summary>Appends a packet; false when the batch is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAdd(Packet packet)
    {
        int count = _count.Value;
        Packet[] packets = _packets;
        if ((uint)count >= (uint)packets.Length)
        {
            return false;
        }
        packets[count] = packet;
        _count.Value = count + 1;
        return true;
    }

    /// <summary>The free tail, for a source to fill in place; then call <see cref="Commit"/>.</summary>
    public Span<Packet> FreeSpace => new(_packets, _count.Value, _packets.Length - _count.Value);

    /// <summary>Counts <paramref name="added"/> packets written into <see cref="FreeSpace"/>.</summary>
    public void Commit(int added)
    {
        if ((uint)added > (uint)(_packets.Length - _count.Value))
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(added), added, "more packets than the batch had room for");
        }
        _count.Value += added;
    }

    /// <summary>Forgets the first <paramref name="count"/> packets and moves the rest to the front.</summary>
    public void RemoveFront(int count)
    {
        if ((uint)count > (uint)_count.Value)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(count), count, "more packets than the batch holds");
        }
        _packets.AsSpan(count, _count.Value - count).CopyTo(_packets);
        _count.Value -= count;
    }

    /// <summary>
    /// Takes every packet of <paramref name="source"/> when this batch is empty and as large, by
    /// exchanging the two arrays (no copy); <paramref name="source"/> is left empty. False when
    /// it cannot (then nothing changed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryTakeAll(PacketBatch source)
    {
        Packet[] mine = _packets;
        if (_count.Value != 0 || mine.Length != source._packets.Length)
        {
            return false;
        }
        _packets = source._packets;
        _count.Value = source._count.Value;
        source._packets = mine;
        source._count.Value = 0;
        return true;
    }

    /// <summary>Forgets the packets (does not free them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Clear() => _count.Value = 0;

    /// <summary>Frees every packet to its pool and empties the batch.</summary>
    public void FreeAll()
    {
        PacketPools.Free(Packets);
        _count.Value = 0;
    }
}
