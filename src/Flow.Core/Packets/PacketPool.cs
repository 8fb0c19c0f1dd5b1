using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    public const int DefaultFrameSize = 2048;

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
        Id = PacketPools.Register(this);

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

    /// <summary>Frames free now (racy snapshot).</summary>
    public int Available => _free.Count;

    /// <summary>Frames handed out and not yet returned (racy snapshot).</summary>
    public int Outstanding => _frameCount - _free.Count;

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
    public int AllocateBulk(Span<Packet> destination)
    {
        Span<uint> indices = stackalloc uint[256];
        int total = 0;
        while (total < destination.Length)
        {
            int want = Math.Min(indices.Length, destination.Length - total);
            int got = _free.Dequeue(indices.Slice(0, want));
            for (int i = 0; i < got; i++)
            {
                destination[total + i] = new Packet(Reset(indices[i]));
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
        Span<uint> indices = stackalloc uint[256];
        int pending = 0;
        int invalid = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            byte* frame = packets[i].Frame;
            PacketMeta* meta = (PacketMeta*)frame;
            if (!Contains(frame) || meta->Owner != AllocatedCanary || FrameAddress(meta->FrameIndex) != frame)
            {
                invalid++;
                continue;
            }
            meta->Owner = FreeCanary;
            indices[pending++] = meta->FrameIndex;
            if (pending == indices.Length)
            {
                _free.Enqueue(indices);
                pending = 0;
            }
        }
        _free.Enqueue(indices.Slice(0, pending));
        if (invalid != 0)
        {
            Interlocked.Add(ref _invalidFrees, invalid);
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
