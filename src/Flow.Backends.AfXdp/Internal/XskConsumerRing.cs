using System.Runtime.CompilerServices;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>
/// The user-space side of a ring the kernel produces into and Flow consumes from: the rx ring
/// (descriptors) and the completion ring (UMEM addresses of sent frames).
/// </summary>
/// <remarks>
/// Design: libxdp's <c>xsk_ring_cons</c> scheme (xdp/xsk.h). <see cref="_cachedProducer"/> is the
/// kernel's producer as last read; it is re-read (acquire, so the slots up to it are fully
/// written) only when every entry known so far has been taken. <see cref="_cachedConsumer"/> runs
/// ahead of the published consumer between <see cref="Peek"/> and <see cref="Release"/>; Release
/// publishes it with a release store, after which the kernel may overwrite those slots.
/// Owned by one thread (rx worker for rx, tx worker for completion).
/// </remarks>
internal unsafe struct XskConsumerRing
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
        _cachedConsumer = Volatile.Read(ref *_consumer);
    }

    public readonly uint Size => _size;

    /// <summary>True when the kernel asked to be poked; read with acquire.</summary>
    public readonly bool NeedsWakeup => (Volatile.Read(ref *_flags) & Protocol.XdpConstants.XdpRingNeedWakeup) != 0;

    /// <summary>Takes up to <paramref name="wanted"/> entries; returns how many, the first at <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Peek(uint wanted, out uint index)
    {
        uint entries = _cachedProducer - _cachedConsumer;
        if (entries == 0)
        {
            // Acquire: the kernel wrote the slots before it published this producer value.
            _cachedProducer = Volatile.Read(ref *_producer);
            entries = _cachedProducer - _cachedConsumer;
        }
        uint n = entries < wanted ? entries : wanted;
        index = _cachedConsumer;
        _cachedConsumer += n;
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ulong Address(uint index) => ((ulong*)_entries)[index & _mask];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ref readonly Protocol.XdpDesc Descriptor(uint index) => ref ((Protocol.XdpDesc*)_entries)[index & _mask];

    /// <summary>Gives every peeked slot back to the kernel. Release: our reads of them are done first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Release() => Volatile.Write(ref *_consumer, _cachedConsumer);
}
