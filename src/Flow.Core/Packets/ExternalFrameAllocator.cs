namespace Flow;

/// <summary>
/// The allocator of a pool whose frames another library hands out and takes back (a DPDK
/// mempool, whose drivers allocate on receive and free after transmit): the pool keeps the
/// metadata array and the allocated marks, the allocator decides which frames are free. Frames
/// are named by their index in the pool. Called once per batch, never per packet.
/// </summary>
/// <remarks>
/// Implementations are thread-safe the way the pool is: a frame allocated on one thread may be
/// freed on another.
/// </remarks>
public abstract class ExternalFrameAllocator
{
    /// <summary>Frames free now (racy snapshot).</summary>
    public abstract int Available { get; }

    /// <summary>Takes up to <paramref name="indices"/>.Length free frames, writes their indices and returns how many.</summary>
    public abstract int Allocate(Span<uint> indices);

    /// <summary>Gives frames back; each was allocated and is no longer used.</summary>
    public abstract void Free(ReadOnlySpan<uint> indices);
}
