namespace Flow.Backends.Dpdk;

/// <summary>
/// A DPDK mempool as the allocator of a Flow <see cref="PacketPool"/>: frame <c>i</c> is the data
/// buffer of the pool's <c>i</c>-th mbuf, so allocate and free are <c>rte_pktmbuf_alloc_bulk</c>
/// and <c>rte_pktmbuf_free_bulk</c> (one shim call per batch, with the mempool's per-lcore cache
/// on registered threads).
/// </summary>
internal sealed unsafe class MempoolFrames : ExternalFrameAllocator
{
    private const int Chunk = 64;
    private readonly nint _mempool;
    private readonly nint _firstMbuf;
    private readonly uint _stride;
    private readonly MbufIndex _index;

    public MempoolFrames(nint mempool, nint firstMbuf, uint stride)
    {
        _mempool = mempool;
        _firstMbuf = firstMbuf;
        _stride = stride;
        _index = new MbufIndex(firstMbuf, stride);
    }

    public override int Available => (int)Interop.FlowDpdk.PoolAvailable(_mempool);

    public override int Allocate(Span<uint> indices)
    {
        nint* mbufs = stackalloc nint[Chunk];
        int total = 0;
        while (total < indices.Length)
        {
            int want = Math.Min(Chunk, indices.Length - total);
            // alloc_bulk is all or nothing: near exhaustion take what is left in halves.
            while (want > 0 && Interop.FlowDpdk.AllocBulk(_mempool, mbufs, (uint)want) != 0)
            {
                want /= 2;
            }
            if (want == 0)
            {
                break;
            }
            for (int i = 0; i < want; i++)
            {
                indices[total + i] = _index.Of(mbufs[i]);
            }
            total += want;
        }
        return total;
    }

    public override void Free(ReadOnlySpan<uint> indices)
    {
        nint* mbufs = stackalloc nint[Chunk];
        for (int start = 0; start < indices.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, indices.Length - start);
            for (int i = 0; i < n; i++)
            {
                mbufs[i] = _firstMbuf + (nint)((nuint)indices[start + i] * _stride);
            }
            Interop.FlowDpdk.FreeBulk(mbufs, (uint)n);
        }
    }
}
