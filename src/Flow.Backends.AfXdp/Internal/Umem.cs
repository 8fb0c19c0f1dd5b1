using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flow.Backends.AfXdp.Protocol;

namespace Flow.Backends.AfXdp.Internal;

/// <summary>
/// A UMEM: page-aligned anonymous memory of fixed chunks, wrapped as a <see cref="PacketPool"/>
/// so a chunk is a packet frame. One per queue, or one shared by every queue of a port
/// (XDP_SHARED_UMEM), in which case a frame received on one queue is sent on another in place.
/// </summary>
/// <remarks>
/// Chunk layout (aligned mode, chunk = frame):
/// <code>
///  0            Headroom           Headroom + 256                                FrameSize
///  +------------+------------------+---------------------------------------------+
///  | headroom   | XDP_PACKET_HEAD- | received data ...                           |
///  | (option)   | ROOM (kernel)    |                                             |
///  +------------+------------------+---------------------------------------------+
/// </code>
/// Chunks hold packet bytes only; each chunk's metadata is in the pool's private array, so a
/// received chunk is a packet of <see cref="Pool"/> without a copy. <see cref="_inKernel"/> marks
/// frames lent to the kernel (fill or tx ring): they return to the pool when the sockets are
/// closed, and a descriptor naming a chunk that is not lent is refused (a kernel or driver bug
/// becomes a counted drop, not a frame owned twice). A frame is in one place at a time, so the
/// rx and tx threads never write the same byte.
/// </remarks>
internal sealed unsafe class Umem : IDisposable
{
    private readonly byte[] _inKernel;
    private readonly int _frameShift;
    private readonly ulong _chunkMask;
    private readonly byte* _region;
    private readonly nuint _length;
    private int _disposed;

    private Umem(byte* region, nuint length, int frameCount, int frameSize, int headroom, string name)
    {
        _region = region;
        _length = length;
        FrameSize = frameSize;
        Headroom = headroom;
        _frameShift = BitOperations.Log2((uint)frameSize);
        _chunkMask = ~((ulong)frameSize - 1);
        _inKernel = new byte[frameCount];
        Pool = PacketPool.Wrap(region, length, frameSize, headroom + XdpConstants.XdpPacketHeadroom, name,
            () => Interop.Sys.MUnmap(region, length));
    }

    public static Umem Create(int frameCount, int frameSize, int headroom, string name)
    {
        nuint length = (nuint)frameCount * (nuint)frameSize;
        void* region = Interop.Sys.MMap(null, length, Interop.Sys.PROT_READ | Interop.Sys.PROT_WRITE,
            Interop.Sys.MAP_PRIVATE | Interop.Sys.MAP_ANONYMOUS | Interop.Sys.MAP_POPULATE, -1, 0);
        if (region == Interop.Sys.MAP_FAILED)
        {
            int errno = Marshal.GetLastPInvokeError();
            ThrowHelper.ThrowAfXdp($"mmap of a {frameCount} x {frameSize} B UMEM failed: {Marshal.GetPInvokeErrorMessage(errno)}.", errno);
        }
        return new Umem((byte*)region, length, frameCount, frameSize, headroom, name);
    }

    public byte* Region => _region;

    public nuint Length => _length;

    public int FrameSize { get; }

    public int Headroom { get; }

    public PacketPool Pool { get; }

    /// <summary>The packet whose frame is the chunk at byte offset <paramref name="chunk"/> (from <see cref="ChunkOf"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Packet PacketOf(ulong chunk) => Pool.PacketAt((uint)(chunk >> _frameShift));

    /// <summary>
    /// Takes back the chunk at <paramref name="chunk"/> from the kernel; false when it was not
    /// lent (the descriptor is a lie or a duplicate, and the frame is someone else's).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReturn(ulong chunk)
    {
        ref byte lent = ref _inKernel[chunk >> _frameShift];
        if (lent == 0)
        {
            return false;
        }
        lent = 0;
        return true;
    }

    /// <summary>Turns a kernel descriptor address into the frame (chunk start) holding it, or null when outside the UMEM.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* ChunkOf(ulong address, out ulong chunk)
    {
        chunk = address & _chunkMask;
        return chunk < _length ? _region + chunk : null;
    }

    /// <summary>Marks the frame at <paramref name="chunk"/> as lent to the kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Lent(ulong chunk) => _inKernel[chunk >> _frameShift] = 1;

    /// <summary>Returns the frames the kernel held and unmaps the memory; call after every socket using it is closed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // Frames the kernel held in fill, rx, tx and completion rings come back to the pool, so
        // its Outstanding count shows only what the application still holds.
        for (uint i = 0; i < (uint)_inKernel.Length; i++)
        {
            if (_inKernel[i] != 0)
            {
                _inKernel[i] = 0;
                Pool.Free(Pool.PacketAt(i));
            }
        }
        Pool.Dispose(); // unmaps the region
    }
}
