using System.Runtime.CompilerServices;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>
/// The user-space side of a ring Flow produces into and the kernel consumes from: the fill
/// ring (UMEM chunk addresses) and the tx ring (descriptors).
/// </summary>
/// <remarks>
/// Design: libxdp's <c>xsk_ring_prod</c> scheme (xdp/xsk.h). The producer and consumer indices
/// live in memory shared with the kernel; they are free-running u32 counters and
/// <c>index &amp; Mask</c> selects the slot. Flow keeps two private copies:
/// <see cref="_cachedProducer"/> (slots reserved so far, ahead of the published producer) and
/// <see cref="_cachedConsumer"/> (the kernel's consumer plus the ring size, i.e. the first slot
/// Flow may not write). The shared consumer is re-read — with acquire semantics, so the
/// kernel's reads of those slots are finished — only when the cached copy says the ring is
/// full. Slots are written between <see cref="Reserve"/> and <see cref="Submit"/>; Submit
/// publishes them with a release store, so the kernel never sees an index before its slot.
/// Owned by one thread (rx worker for fill, tx worker for tx).
/// </remarks>
internal unsafe struct XskProducerRing
{
    private uint* _producer;
    private uint* _consumer;
    private uint* _flags;
    private byte* _entries;
    private uint _mask;
    private uint _size;
    private uint _cachedProducer;
    private uint _cachedConsumer;

    public void Initialize(byte* map, ulong producerOffset, ulong consumerOffset, ulong flagsOffset, ulong entriesOffset, uint size)
    {
        _producer = (uint*)(map + producerOffset);
        _consumer = (uint*)(map + consumerOffset);
        _flags = (uint*)(map + flagsOffset);
        _entries = map + entriesOffset;
        _mask = size - 1;
        _size = size;
        _cachedProducer = Volatile.Read(ref *_producer);
        _cachedConsumer = Volatile.Read(ref *_consumer) + size;
    }

    public readonly uint Size => _size;

    /// <summary>Entries the kernel has not consumed yet (re-reads the shared consumer).</summary>
    public readonly uint Outstanding => Volatile.Read(ref *_producer) - Volatile.Read(ref *_consumer);

    /// <summary>True when the kernel asked to be poked (XDP_USE_NEED_WAKEUP); read with acquire.</summary>
    public readonly bool NeedsWakeup
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Volatile.Read(ref *_flags) & Protocol.XdpConstants.XdpRingNeedWakeup) != 0;
    }

    /// <summary>Free slots, refreshing the kernel's consumer only when fewer than <paramref name="wanted"/> are known free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint FreeEntries(uint wanted)
    {
        uint free = _cachedConsumer - _cachedProducer;
        if (free >= wanted)
        {
            return free;
        }
        // Acquire: slots the kernel has released are no longer read by it.
        _cachedConsumer = Volatile.Read(ref *_consumer) + _size;
        return _cachedConsumer - _cachedProducer;
    }

    /// <summary>Reserves up to <paramref name="wanted"/> slots; returns how many, the first at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Reserve(uint wanted, out uint index)
    {
        uint free = FreeEntries(wanted);
        uint n = free < wanted ? free : wanted;
        index = _cachedProducer;
        _cachedProducer += n;
        return n;
    }

    /// <summary>Fill-ring slot <paramref name="index"/> (a UMEM chunk address).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ref ulong Address(uint index) => ref ((ulong*)_entries)[index & _mask];

    /// <summary>Tx-ring slot <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ref Protocol.XdpDesc Descriptor(uint index) => ref ((Protocol.XdpDesc*)_entries)[index & _mask];

    /// <summary>Hands back the last <paramref name="count"/> reserved slots unwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Cancel(uint count) => _cachedProducer -= count;

    /// <summary>Publishes every reserved slot. Release: the slot writes are visible before the index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Submit() => Volatile.Write(ref *_producer, _cachedProducer);
}
