namespace Flow.Benchmarks.Backends.Memif;

/// <summary>
/// Endless 64-byte frames allocated straight from the memif client's shared pool, so
/// <c>memif_tx</c> sends them without a copy (what a forwarding graph fed by <c>memif_rx</c> does).
/// </summary>
[Stage("shared_pool_source", "Benchmark source: 64-byte frames from a memif shared pool.")]
internal sealed unsafe class SharedPoolSource : SourceStage<SharedPoolSource.Output, SharedPoolSource.Reason>
{
    private readonly PacketPool _pool;
    private readonly byte[] _template = new byte[64];

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("the shared pool had no free frame", Severity.Info)]
        PoolEmpty,
    }

    public SharedPoolSource(PacketPool pool)
    {
        _pool = pool;
        _template[0] = 0x02;
        _template[6] = 0x02;
        _template[12] = 0x08; // IPv4 ethertype; the body stays zero
    }

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        int n = _pool.AllocateBulk(packets);
        fixed (byte* template = _template)
        {
            for (int i = 0; i < n; i++)
            {
                Packet packet = packets[i];
                packet.Meta.Length = 64;
                Buffer.MemoryCopy(template, packet.DataPointer, 64, 64);
                nexts[i] = To(Output.Out);
            }
        }
        return n;
    }
}
