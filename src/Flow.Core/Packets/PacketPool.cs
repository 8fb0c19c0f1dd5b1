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
/// without a copy. Exhaustion is counted in <see cref="AllocationFailures"/>, never thrown.
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

    /// <summary>Metadata (64 B) plus 64 B of headroom for pushed headers (VLAN, tunnels).</summary>
    public const int DefaultDataOffset = PacketMeta.Size + 64;

    internal const ulong AllocatedCanary = 0xF10A_A110_CA7E_D000;
    private const ulong FreeCanary = 0xF10A_F4EE_F4EE_0000;
    private const int PageSize = 4096;

    private readonly byte* _region;
    private readonly nuint _regionLength;
    private readonly bool _ownsRegion;
    private readonly Action? _releaseRegion;
    private readonly int _frameSize;
    private readonly int _dataOffset;
    private readonly int _frameCount;
    private readonly FrameIndexRing _free;
    private readonly List<FrameCache> _caches = [];
    private readonly int _cacheLimit;
    private readonly Lock _cachesLock = new();

    // Frame caches belong to worker threads only (DPDK gives caches to lcores only): a cache on an
    // arbitrary thread could strand frames when the thread ends. Workers flush theirs on exit.
    [ThreadStatic]
    private static FrameCache?[]? t_caches;
    // ResetReceived's metadata outside the per-frame fields: L2/L3/L4 0 and the pool id; hash and
    // VLAN 0 and the frame size; timestamp and sequence 0 and the allocated mark.
    private readonly Vector256<ulong> _metaFirstHalf;
    private readonly Vector256<ulong> _metaSecondHalf;
    private long _allocationFailures;
    private long _invalidFrees;
    private int _disposed;

    private PacketPool(string name, byte* region, nuint regionLength, bool ownsRegion, Action? releaseRegion,
        int frameCount, int frameSize, int dataOffset)
    {
        Name = name;
        _region = region;
        _regionLength = regionLength;
        _ownsRegion = ownsRegion;
        _releaseRegion = releaseRegion;
        _frameCount = frameCount;
        _frameSize = frameSize;
        _dataOffset = dataOffset;
        _free = new FrameIndexRing((int)BitOperations.RoundUpToPowerOf2((uint)frameCount));
        // A cache may hold an eighth of the pool (DPDK advises cache size ≤ n / 1.5 across all
        // lcores), so a thread that only frees cannot starve one that only allocates; pools too
        // small for a useful cache get none.
        int limit = Math.Min(FrameCache.Capacity, frameCount / 8);
        _cacheLimit = limit < 32 ? 0 : (int)BitOperations.RoundUpToPowerOf2((uint)limit + 1) / 2;
        Id = PacketPools.Register(this);
        _metaFirstHalf = Vector256.Create(0UL, (ulong)Id << 48, 0UL, 0UL);
        _metaSecondHalf = Vector256.Create((ulong)(ushort)frameSize << 48, 0UL, 0UL, AllocatedCanary);

        Span<uint> indices = stackalloc uint[256];
        for (int start = 0; start < frameCount; start += indices.Length)
        {
            int n = Math.Min(indices.Length, frameCount - start);
            for (int i = 0; i < n; i++)
            {
                uint index = (uint)(start + i);
                PacketMeta* meta = (PacketMeta*)FrameAddress(index);
                *meta = default;
                meta->PoolId = Id;
                meta->FrameIndex = index;
                meta->FrameSize = (ushort)frameSize;
                meta->Owner = FreeCanary;
                indices[i] = index;
            }
            _free.Enqueue(indices.Slice(0, n));
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

    /// <summary>Registry id, stored in every frame's metadata so a packet finds its pool.</summary>
    public ushort Id { get; }

    public int FrameCount => _frameCount;

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
    public byte* FrameAddress(uint index) => _region + (nuint)index * (nuint)_frameSize;

    /// <summary>True when <paramref name="address"/> lies inside this pool's frames.</summary>
    public bool Contains(byte* address) =>
        address >= _region && address < _region + (nuint)_frameCount * (nuint)_frameSize;

    /// <summary>
    /// Allocates up to <paramref name="destination"/>.Length packets with fresh metadata and
    /// returns how many; the shortfall is added to <see cref="AllocationFailures"/>.
    /// </summary>
    public int AllocateBulk(Span<Packet> destination) => Allocate(destination, freshMetadata: true);

    /// <summary>
    /// Allocates frames for a backend to receive into, like <see cref="AllocateBulk"/> but writing
    /// only the pool's own bookkeeping (the frame is allocated, its index), not fresh metadata:
    /// the backend calls <see cref="ResetReceived"/> on each frame before it leaves as a packet.
    /// A backend receiving into memory a peer can write has to rewrite the metadata then anyway;
    /// this spares it initializing every frame twice. Such frames may be freed unreceived.
    /// </summary>
    public int AllocateBulkForReceive(Span<Packet> destination) => Allocate(destination, freshMetadata: false);

    /// <summary>
    /// Writes the whole metadata of a frame of this pool that was received into: what a fresh
    /// allocation holds (data offset, pool, frame index and size, every other field zero), with
    /// <paramref name="length"/>, <paramref name="inputPort"/> and <paramref name="flags"/>.
    /// Nothing the frame held before survives, whoever wrote it. Two 32-byte stores and two
    /// 8-byte ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ResetReceived(Packet packet, int length, ushort inputPort, PacketFlags flags)
    {
        byte* frame = packet.Frame;
        nuint offset = (nuint)(frame - _region);
        // A 32-bit divide where the region allows (the cheaper one); metadata must be right either way.
        uint index = _regionLength <= uint.MaxValue ? (uint)offset / (uint)_frameSize : (uint)(offset / (nuint)_frameSize);
        Unsafe.WriteUnaligned(frame, _metaFirstHalf);
        Unsafe.WriteUnaligned(frame + 32, _metaSecondHalf);
        Unsafe.WriteUnaligned(frame, (ulong)(ushort)_dataOffset | ((ulong)(ushort)length << 16) |
            ((ulong)inputPort << 32) | ((ulong)(ushort)flags << 48));
        Unsafe.WriteUnaligned(frame + 16, (ulong)index);
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
            int got = _free.Dequeue(indices.Slice(0, want));
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
    public void FreeBulk(ReadOnlySpan<Packet> packets)
    {
        FrameCache? cache = CacheOfThisThread();
        Span<uint> scratch = stackalloc uint[256];
        uint[]? cached = cache?.Items;
        Span<uint> indices = cached is null ? scratch : cached;
        int pending = cache?.Count ?? 0;
        int spillAt = cached is null ? scratch.Length : _cacheLimit;
        int invalid = 0;
        // Locals, not fields: stores through frame pointers would otherwise make the JIT reload them per packet.
        byte* region = _region;
        nuint frameSize = (nuint)_frameSize;
        nuint regionBytes = (nuint)_frameCount * frameSize;
        for (int i = 0; i < packets.Length; i++)
        {
            byte* frame = packets[i].Frame;
            PacketMeta* meta = (PacketMeta*)frame;
            // One unsigned compare checks both ends of the region; the canary and the index
            // refuse double frees and pointers into the middle of a frame.
            if ((nuint)(frame - region) >= regionBytes || meta->Owner != AllocatedCanary ||
                region + meta->FrameIndex * frameSize != frame)
            {
                invalid++;
                continue;
            }
            meta->Owner = FreeCanary;
            indices[pending++] = meta->FrameIndex;
            if (pending == spillAt)
            {
                // A full cache gives back its older half; the scratch path gives back everything.
                int spill = cached is null ? pending : _cacheLimit / 2;
                _free.Enqueue(indices.Slice(0, spill));
                indices.Slice(spill, pending - spill).CopyTo(indices);
                pending -= spill;
            }
        }
        if (cache is null)
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
    }

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    /// <summary>The bookkeeping a free checks (allocated mark, index), nothing else: see <see cref="AllocateBulkForReceive"/>.</summary>
    private byte* MarkAllocated(uint index)
    {
        byte* frame = FrameAddress(index);
        PacketMeta* meta = (PacketMeta*)frame;
        Debug.Assert(meta->Owner == FreeCanary, "a frame on the free list is marked allocated");
        meta->FrameIndex = index;
        meta->Owner = AllocatedCanary;
        return frame;
    }

    private byte* Reset(uint index)
    {
        byte* frame = FrameAddress(index);
        PacketMeta* meta = (PacketMeta*)frame;
        Debug.Assert(meta->Owner == FreeCanary, "a frame on the free list is marked allocated");
        *meta = default;
        meta->DataOffset = (ushort)_dataOffset;
        meta->PoolId = Id;
        meta->FrameIndex = index;
        meta->FrameSize = (ushort)_frameSize;
        meta->Owner = AllocatedCanary;
        return frame;
    }

    private static void ValidateGeometry(int frameCount, int frameSize, int dataOffset)
    {
        if (frameCount <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(frameCount), frameCount, "a pool needs at least one frame");
        }
        if (frameSize < PacketMeta.Size + 64 || frameSize > ushort.MaxValue || frameSize % 64 != 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(frameSize), frameSize,
                "frame size must be a multiple of 64 between 128 and 65472 bytes");
        }
        if (dataOffset < PacketMeta.Size || dataOffset >= frameSize)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(dataOffset), dataOffset,
                $"data offset must leave room for the {PacketMeta.Size}-byte metadata and lie inside the frame");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        PacketPools.Unregister(this);
        if (_ownsRegion)
        {
            NativeMemory.AlignedFree(_region);
        }
        _releaseRegion?.Invoke();
    }
}
