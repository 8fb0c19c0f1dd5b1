using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Flow.Internal;

namespace Flow;

/// <summary>
/// Fixed-size packet frames in one native region, with bulk allocation and free. Thread-safe:
/// a frame allocated on one worker may be freed on another (after crossing a ring).
/// </summary>
/// <remarks>
/// Either the pool allocates its region (page-aligned, never the GC heap) or it wraps memory a
/// backend provides — an AF_XDP UMEM, a memif region — so that received frames are packets
/// without a copy. Frames hold packet bytes only: every frame's <see cref="PacketMeta"/> lives in
/// a private array of the pool (ADR 007), because a wrapped region may be writable by a peer
/// process, and nothing a peer writes may steer Flow's own memory accesses. Exhaustion is counted in <see cref="AllocationFailures"/>, never thrown.
/// A free of a frame that is not allocated (double free, foreign pointer) is refused and
/// counted in <see cref="InvalidFrees"/>.
/// </remarks>
public sealed unsafe class PacketPool : IDisposable
{
    /// <summary>
    /// 33 cache lines, not 2048: frames 2 KiB apart put every frame's metadata (and headers) in
    /// the same two sets of a 4 KiB-period L1, so a 32-packet batch evicted itself between
    /// stages. An odd number of lines spreads them over every set (DPDK pads mempool objects for
    /// the same reason). Measured in GraphPassBenchmark: the full graph 14.8 → 10.0 ns/packet at
    /// bursts of 32, 19.2 → 9.2 at 256. Leaves 1984 bytes of data room.
    /// </summary>
    public const int DefaultFrameSize = 2112;

    /// <summary>
    /// 128 bytes of headroom for pushed headers (VLAN, tunnels); data starts on the third cache
    /// line of a frame, as it did when the first line held the metadata, so memif buffer offsets
    /// and AF_XDP layouts kept their geometry.
    /// </summary>
    public const int DefaultDataOffset = 128;

    internal const uint AllocatedCanary = 0xA110_CA7E;
    private const uint FreeCanary = 0xF4EE_F4EE;
    private const int PageSize = 4096;

    private readonly byte* _region;
    // Private: never inside a region a backend wraps, so no peer can write it.
    private readonly PacketMeta* _metadata;
    private readonly nuint _regionLength;
    private readonly bool _ownsRegion;
    private readonly Action? _releaseRegion;
    private readonly int _frameSize;
    // Distance between frames: the frame size, except in a pool whose frames sit between an
    // allocator's own headers (a DPDK mempool: objhdr and rte_mbuf before each data buffer).
    private readonly int _frameStride;
    private readonly int _dataOffset;
    private readonly ExternalFrameAllocator? _external;
    private readonly int _frameCount;
    private readonly FrameIndexRing _free;
    private readonly List<FrameCache> _caches = [];
    private readonly int _cacheLimit;
    private readonly Lock _cachesLock = new();

    // Frame caches belong to worker threads only (DPDK gives caches to lcores only): a cache on an
    // arbitrary thread could strand frames when the thread ends. Workers flush theirs on exit.
    [ThreadStatic]
    private static FrameCache?[]? t_caches;
    // ResetReceived's second half of the metadata: hash and VLAN 0 and the frame size; timestamp,
    // sequence and next hop 0, and the allocated mark.
    private readonly Vector256<ulong> _metaSecondHalf;
    private long _allocationFailures;
    private long _invalidFrees;
    private int _disposed;

    private PacketPool(string name, byte* region, nuint regionLength, bool ownsRegion, Action? releaseRegion,
        int frameCount, int frameSize, int dataOffset, int frameStride = 0, ExternalFrameAllocator? external = null)
    {
        Name = name;
        _region = region;
        _regionLength = regionLength;
        _ownsRegion = ownsRegion;
        _releaseRegion = releaseRegion;
        _frameCount = frameCount;
        _frameSize = frameSize;
        _frameStride = frameStride == 0 ? frameSize : frameStride;
        _dataOffset = dataOffset;
        _external = external;
        // An external allocator keeps the free frames itself (with its own per-thread caches).
        _free = new FrameIndexRing(external is null ? (int)BitOperations.RoundUpToPowerOf2((uint)frameCount) : 1);
        // A cache may hold an eighth of the pool (DPDK advises cache size ≤ n / 1.5 across all
        // lcores), so a thread that only frees cannot starve one that only allocates; pools too
        // small for a useful cache get none.
        int limit = Math.Min(FrameCache.Capacity, frameCount / 8);
        _cacheLimit = limit < 32 || external is not null ? 0 : (int)BitOperations.RoundUpToPowerOf2((uint)limit + 1) / 2;
        _metadata = (PacketMeta*)NativeMemory.AlignedAlloc((nuint)frameCount * PacketMeta.Size, PageSize);
        Id = PacketPools.Register(this);
        _metaSecondHalf = Vector256.Create((ulong)(ushort)frameSize << 48, 0UL, 0UL, (ulong)AllocatedCanary << 32);

        Span<uint> indices = stackalloc uint[256];
        for (int start = 0; start < frameCount; start += indices.Length)
        {
            int n = Math.Min(indices.Length, frameCount - start);
            for (int i = 0; i < n; i++)
            {
                uint index = (uint)(start + i);
                PacketMeta* meta = _metadata + index;
                *meta = default;
                meta->PoolIdField = Id;
                meta->FrameField = FrameAddress(index);
                meta->FrameSizeField = (ushort)frameSize;
                meta->Owner = FreeCanary;
                indices[i] = index;
            }
            if (external is null)
            {
                _free.Enqueue(indices.Slice(0, n));
            }
        }
    }

    /// <summary>Makes a pool of <paramref name="frameCount"/> frames in its own page-aligned native region.</summary>
    public static PacketPool Create(int frameCount, int frameSize = DefaultFrameSize, int dataOffset = DefaultDataOffset,
        string name = "pool")
    {
        ValidateGeometry(frameCount, frameSize, dataOffset);
        nuint length = (nuint)frameCount * (nuint)frameSize;
        byte* region = (byte*)NativeMemory.AlignedAlloc(length, PageSize);
        return new PacketPool(name, region, length, ownsRegion: true, releaseRegion: null, frameCount, frameSize, dataOffset);
    }

    /// <summary>
    /// Wraps memory a backend owns (AF_XDP UMEM, memif region): frame <c>i</c> starts at
    /// <c>region + i * frameSize</c>. <paramref name="release"/> runs when the pool is disposed.
    /// </summary>
    public static PacketPool Wrap(byte* region, nuint regionLength, int frameSize, int dataOffset, string name,
        Action? release = null)
    {
        ArgumentNullException.ThrowIfNull(region);
        int frameCount = (int)Math.Min(int.MaxValue, regionLength / (nuint)Math.Max(1, frameSize));
        ValidateGeometry(frameCount, frameSize, dataOffset);
        return new PacketPool(name, region, regionLength, ownsRegion: false, release, frameCount, frameSize, dataOffset);
    }

    public string Name { get; }

    /// <summary>Registry id, stored in every packet's metadata so a packet finds its pool.</summary>
    public ushort Id { get; }

    /// <summary>
    /// Wraps frames whose allocation <paramref name="allocator"/> owns: frame <c>i</c> starts at
    /// <c>firstFrame + i * frameStride</c> and holds <paramref name="frameSize"/> bytes (the
    /// stride may be larger: a DPDK mempool keeps its own headers between data buffers). Allocate
    /// and free go to the allocator; the pool keeps each frame's metadata and allocated mark, so a
    /// double or foreign free is still refused and counted. <paramref name="release"/> runs when
    /// the pool is disposed.
    /// </summary>
    public static PacketPool WrapExternal(byte* firstFrame, int frameCount, int frameStride, int frameSize, int dataOffset,
        string name, ExternalFrameAllocator allocator, Action? release = null)
    {
        ArgumentNullException.ThrowIfNull(firstFrame);
        ArgumentNullException.ThrowIfNull(allocator);
        ValidateGeometry(frameCount, frameSize, dataOffset);
        if (frameStride < frameSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(frameStride), frameStride, $"frames {frameSize} bytes long cannot be closer than that");
        }
        nuint length = (nuint)(frameCount - 1) * (nuint)frameStride + (nuint)frameSize;
        return new PacketPool(name, firstFrame, length, ownsRegion: false, release, frameCount, frameSize, dataOffset, frameStride, allocator);
    }

    public int FrameCount => _frameCount;

    /// <summary>Bytes from one frame's start to the next's (<see cref="FrameSize"/> unless the pool wraps an allocator's frames).</summary>
    public int FrameStride => _frameStride;

    public int FrameSize => _frameSize;

    /// <summary>Offset of packet data from the frame start on a fresh allocation.</summary>
    public int DataOffset => _dataOffset;

    public byte* Region => _region;

    public nuint RegionLength => _regionLength;

    /// <summary>Frames free now, in the shared ring or in workers' caches (racy snapshot).</summary>
    public int Available
    {
        get
        {
            if (_external is not null)
            {
                return _external.Available;
            }
            int available = _free.Count;
            lock (_cachesLock)
            {
                foreach (FrameCache cache in _caches)
                {
                    available += Volatile.Read(ref cache.Count);
                }
            }
            return available;
        }
    }

    /// <summary>Frames handed out and not yet returned (racy snapshot).</summary>
    public int Outstanding => _frameCount - Available;

    /// <summary>Frames asked for and not given because the pool was empty.</summary>
    public long AllocationFailures => Volatile.Read(ref _allocationFailures);

    /// <summary>Frees refused because the frame was not allocated (double free or foreign frame).</summary>
    public long InvalidFrees => Volatile.Read(ref _invalidFrees);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* FrameAddress(uint index) => _region + (nuint)index * (nuint)_frameStride;

    /// <summary>
    /// The packet of frame <paramref name="index"/> (a backend turning a frame the kernel or a peer
    /// handed back into its packet). Its metadata is whatever the pool last wrote: a backend that
    /// receives into it allocated it, and writes length and port before passing it on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Packet PacketAt(uint index)
    {
        if (index >= (uint)_frameCount)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(index), index, $"pool '{Name}' has {_frameCount} frames");
        }
        return new Packet(_metadata + index);
    }

    /// <summary>Index of <paramref name="packet"/>'s frame in this pool (its position in the metadata array).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint IndexOf(Packet packet) => (uint)(packet.MetaAddress - _metadata);

    /// <summary>True when <paramref name="address"/> lies inside this pool's frames.</summary>
    public bool Contains(byte* address) =>
        address >= _region && address < _region + (nuint)(_frameCount - 1) * (nuint)_frameStride + (nuint)_frameSize;

    /// <summary>
    /// Allocates up to <paramref name="destination"/>.Length packets with fresh metadata and
    /// returns how many; the shortfall is added to <see cref="AllocationFailures"/>.
    /// </summary>
    public int AllocateBulk(Span<Packet> destination) => Allocate(destination, freshMetadata: true);

    /// <summary>
    /// Allocates frames for a backend to receive into, like <see cref="AllocateBulk"/> but writing
    /// only the pool's own bookkeeping (the frame is allocated, its index), not fresh metadata:
    /// the backend calls <see cref="ResetReceived"/> on each frame before it leaves as a packet.
    /// A backend that posts frames for a peer or the kernel to fill writes the metadata when the
    /// frame comes back filled; this spares it initializing every frame twice. Such frames may be
    /// freed unreceived.
    /// </summary>
    public int AllocateBulkForReceive(Span<Packet> destination) => Allocate(destination, freshMetadata: false);

    /// <summary>
    /// Writes the metadata of a packet of this pool that was received into: what a fresh
    /// allocation holds (data offset, every other per-packet field zero), with
    /// <paramref name="length"/>, <paramref name="inputPort"/> and <paramref name="flags"/>.
    /// Nothing an earlier use of the packet left survives. Three 8-byte stores and one 32-byte one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ResetReceived(Packet packet, int length, ushort inputPort, PacketFlags flags)
    {
        ulong* meta = (ulong*)packet.MetaAddress;
        meta[0] = (ulong)(ushort)_dataOffset | ((ulong)(ushort)length << 16) | ((ulong)inputPort << 32) | ((ulong)(ushort)flags << 48);
        meta[1] = (ulong)Id << 48;
        // meta[2] is the frame's address, written once when the pool was made.
        meta[3] = 0;
        Unsafe.WriteUnaligned(meta + 4, _metaSecondHalf);
    }

    private int Allocate(Span<Packet> destination, bool freshMetadata)
    {
        FrameCache? cache = CacheOfThisThread();
        if (cache is not null)
        {
            return AllocateFromCache(cache, destination, freshMetadata);
        }
        Span<uint> indices = stackalloc uint[256];
        int total = 0;
        while (total < destination.Length)
        {
            int want = Math.Min(indices.Length, destination.Length - total);
            int got = _external is null ? _free.Dequeue(indices.Slice(0, want)) : _external.Allocate(indices.Slice(0, want));
            for (int i = 0; i < got; i++)
            {
                destination[total + i] = new Packet(freshMetadata ? Reset(indices[i]) : MarkAllocated(indices[i]));
            }
            total += got;
            if (got < want)
            {
                Interlocked.Add(ref _allocationFailures, destination.Length - total);
                break;
            }
        }
        return total;
    }

    private int AllocateFromCache(FrameCache cache, Span<Packet> destination, bool freshMetadata)
    {
        uint[] items = cache.Items;
        int count = cache.Count;
        int total = 0;
        while (total < destination.Length)
        {
            if (count == 0)
            {
                count = _free.Dequeue(items.AsSpan(0, _cacheLimit / 2));
                if (count == 0)
                {
                    Interlocked.Add(ref _allocationFailures, destination.Length - total);
                    break;
                }
            }
            int take = Math.Min(count, destination.Length - total);
            for (int i = 0; i < take; i++)
            {
                uint index = items[--count];
                destination[total + i] = new Packet(freshMetadata ? Reset(index) : MarkAllocated(index));
            }
            total += take;
        }
        Volatile.Write(ref cache.Count, count);
        return total;
    }

    /// <summary>Allocates one packet; false (and counted) when the pool is empty.</summary>
    public bool TryAllocate(out Packet packet)
    {
        Span<Packet> one = stackalloc Packet[1];
        if (AllocateBulk(one) == 1)
        {
            packet = one[0];
            return true;
        }
        packet = default;
        return false;
    }

    /// <summary>
    /// Returns packets to the pool. Every packet must belong to this pool; use
    /// <see cref="PacketPools.Free(ReadOnlySpan{Packet})"/> for a batch of mixed origin.
    /// </summary>
    public void FreeBulk(ReadOnlySpan<Packet> packets) => FreeRun(packets, stopAtForeign: false);

    /// <summary>
    /// Frees the packets at the start of <paramref name="packets"/> that are frames of this pool,
    /// up to the first that is not; returns how many it took (0 when the first is not). The test
    /// that refuses a foreign frame is the one every free makes anyway, so a batch of mixed origin
    /// costs no separate pass to find where each pool's run ends.
    /// </summary>
    internal int FreeLeadingRun(ReadOnlySpan<Packet> packets) => FreeRun(packets, stopAtForeign: true);

    private int FreeRun(ReadOnlySpan<Packet> packets, bool stopAtForeign)
    {
        FrameCache? cache = CacheOfThisThread();
        Span<uint> scratch = stackalloc uint[256];
        uint[]? cached = cache?.Items;
        Span<uint> indices = cached is null ? scratch : cached;
        int pending = cache?.Count ?? 0;
        int spillAt = cached is null ? scratch.Length : _cacheLimit;
        int invalid = 0;
        // Locals, not fields: stores through metadata pointers would otherwise make the JIT reload them per packet.
        PacketMeta* metadata = _metadata;
        nuint frameCount = (nuint)_frameCount;
        int taken = packets.Length;
        for (int i = 0; i < packets.Length; i++)
        {
            PacketMeta* meta = packets[i].MetaAddress;
            // The index comes from the handle, never from memory: one unsigned compare checks both
            // ends of the array, the round trip refuses a pointer into the middle of an entry, and
            // the canary refuses a double free.
            nuint index = (nuint)((byte*)meta - (byte*)metadata) / PacketMeta.Size;
            if (index >= frameCount || metadata + index != meta)
            {
                if (stopAtForeign)
                {
                    taken = i;
                    break;
                }
                invalid++;
                continue;
            }
            if (meta->Owner != AllocatedCanary)
            {
                invalid++;
                continue;
            }
            meta->Owner = FreeCanary;
            indices[pending++] = (uint)index;
            if (pending == spillAt && _external is not null)
            {
                _external.Free(indices.Slice(0, pending));
                pending = 0;
            }
            else if (pending == spillAt)
            {
                // A full cache gives back its older half; the scratch path gives back everything.
                int spill = cached is null ? pending : _cacheLimit / 2;
                _free.Enqueue(indices.Slice(0, spill));
                indices.Slice(spill, pending - spill).CopyTo(indices);
                pending -= spill;
            }
        }
        if (_external is not null)
        {
            _external.Free(indices.Slice(0, pending));
        }
        else if (cache is null)
        {
            _free.Enqueue(indices.Slice(0, pending));
        }
        else
        {
            Volatile.Write(ref cache.Count, pending);
        }
        if (invalid != 0)
        {
            Interlocked.Add(ref _invalidFrees, invalid);
        }
        return taken;
    }

    /// <summary>Counts a free the pool refused without looking at the frame (its handle named this pool but is not one of its frames).</summary>
    internal void CountInvalidFree() => Interlocked.Increment(ref _invalidFrees);

    /// <summary>
    /// Gives this thread a private frame cache for every pool it allocates from or frees to.
    /// Called by Flow's workers when they start; the thread must call
    /// <see cref="ReleaseThreadCaches"/> before it ends.
    /// </summary>
    internal static void EnableThreadCaches() => t_caches ??= new FrameCache?[PacketPools.MaxPools];

    /// <summary>Returns every frame this thread's caches hold to their pools and turns caching off.</summary>
    internal static void ReleaseThreadCaches()
    {
        FrameCache?[]? caches = t_caches;
        if (caches is null)
        {
            return;
        }
        t_caches = null;
        foreach (FrameCache? cache in caches)
        {
            cache?.Pool.ReleaseCache(cache);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private FrameCache? CacheOfThisThread()
    {
        FrameCache?[]? caches = t_caches;
        if (caches is null || _cacheLimit == 0)
        {
            return null;
        }
        FrameCache? cache = caches[Id];
        return cache is not null && ReferenceEquals(cache.Pool, this) ? cache : AddCache(caches);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private FrameCache? AddCache(FrameCache?[] caches)
    {
        if (_disposed != 0)
        {
            return null;
        }
        var cache = new FrameCache(this);
        lock (_cachesLock)
        {
            _caches.Add(cache);
        }
        caches[Id] = cache;
        return cache;
    }

    private void ReleaseCache(FrameCache cache)
    {
        int count = Volatile.Read(ref cache.Count);
        if (_disposed == 0)
        {
            _free.Enqueue(cache.Items.AsSpan(0, count));
        }
        Volatile.Write(ref cache.Count, 0);
        lock (_cachesLock)
        {
            _caches.Remove(cache);
        }
    }

    public void Free(Packet packet) => FreeBulk(new ReadOnlySpan<Packet>(in packet));

    /// <summary>
    /// Marks a packet of a pool with an external allocator as no longer Flow's, without freeing
    /// it: a driver took it and frees it to the allocator itself (a DPDK tx queue). Call before
    /// handing it over (afterwards the driver may already have freed it and another thread
    /// received into it); a later Flow free of the handle is then refused and counted in
    /// <see cref="InvalidFrees"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MarkHandedOff(Packet packet)
    {
        Debug.Assert(_external is not null, "only frames an external allocator frees are handed off");
        packet.MetaAddress->Owner = FreeCanary;
    }

    /// <summary>Undoes <see cref="MarkHandedOff"/> for a packet the driver did not take after all.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MarkTakenBack(Packet packet) => packet.MetaAddress->Owner = AllocatedCanary;

    /// <summary>
    /// Runs <paramref name="action"/> only while no frame of the pool is allocated (none is in a
    /// graph, a ring or a peer's hands), and says whether it ran. A backend uses it to replace the
    /// memory behind the frames (memif: a fresh memfd mapped over the same addresses, so a former
    /// peer never sees later traffic). For the duration the shared free list is held empty, so an
    /// allocation on another thread fails (counted in <see cref="AllocationFailures"/>) rather than
    /// take a frame being replaced. Frames parked in a worker's cache are free and count as home;
    /// the action must leave every frame address valid, since such a worker may still take one.
    /// </summary>
    public bool TryWhileAllFramesHome(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (_external is not null)
        {
            ThrowHelper.ThrowInvalidOperation($"pool '{Name}' wraps an external allocator's frames, which it cannot hold home");
        }
        var held = new uint[_frameCount]; // control path: one allocation per call is fine
        int got = 0;
        int n;
        while (got < held.Length && (n = _free.Dequeue(held.AsSpan(got))) > 0)
        {
            got += n;
        }
        try
        {
            for (int i = 0; i < _frameCount; i++)
            {
                if (Volatile.Read(ref _metadata[i].Owner) == AllocatedCanary)
                {
                    return false;
                }
            }
            action();
            return true;
        }
        finally
        {
            _free.Enqueue(held.AsSpan(0, got));
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> (data and metadata such as offsets, flags, input port)
    /// into a fresh frame of this pool; false (counted) when the pool is empty or the data does
    /// not fit. Flooding stages use this: Flow floods by copy, not by reference count (ADR 001).
    /// </summary>
    public bool TryClone(Packet source, out Packet copy)
    {
        if (source.Length > _frameSize - _dataOffset || !TryAllocate(out copy))
        {
            copy = default;
            return false;
        }
        ref PacketMeta from = ref source.Meta;
        ref PacketMeta to = ref copy.Meta;
        to.Length = from.Length;
        to.InputPort = from.InputPort;
        to.Flags = from.Flags & ~PacketFlags.Chained;
        to.L2Offset = from.L2Offset;
        to.L3Offset = from.L3Offset;
        to.L4Offset = from.L4Offset;
        to.NextHop = from.NextHop;
        to.UserWord = from.UserWord;
        to.Hash = from.Hash;
        to.VlanTci = from.VlanTci;
        to.Timestamp = from.Timestamp;
        to.Sequence = from.Sequence;
        source.Data.CopyTo(copy.Data);
        return true;
    }

    /// <summary>The bookkeeping a free checks (the allocated mark), nothing else: see <see cref="AllocateBulkForReceive"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PacketMeta* MarkAllocated(uint index)
    {
        PacketMeta* meta = _metadata + index;
        Debug.Assert(meta->Owner == FreeCanary, "a frame on the free list is marked allocated");
        meta->Owner = AllocatedCanary;
        return meta;
    }

    private PacketMeta* Reset(uint index)
    {
        PacketMeta* meta = _metadata + index;
        Debug.Assert(meta->Owner == FreeCanary, "a frame on the free list is marked allocated");
        ulong* words = (ulong*)meta;
        words[0] = (ushort)_dataOffset;
        words[1] = (ulong)Id << 48;
        // words[2] is the frame's address, written once when the pool was made.
        words[3] = 0;
        Unsafe.WriteUnaligned(words + 4, _metaSecondHalf);
        return meta;
    }

    private static void ValidateGeometry(int frameCount, int frameSize, int dataOffset)
    {
        if (frameCount <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(frameCount), frameCount, "a pool needs at least one frame");
        }
        if (frameSize < 128 || frameSize > ushort.MaxValue || frameSize % 64 != 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(frameSize), frameSize,
                "frame size must be a multiple of 64 between 128 and 65472 bytes");
        }
        if (dataOffset < 0 || dataOffset >= frameSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(dataOffset), dataOffset, "data offset must lie inside the frame");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        PacketPools.Unregister(this);
        NativeMemory.AlignedFree(_metadata);
        if (_ownsRegion)
        {
            NativeMemory.AlignedFree(_region);
        }
        _releaseRegion?.Invoke();
    }
}
