namespace Flow.TestKit;

/// <summary>
/// A test source that measures what its worker thread allocates in steady state: it reads the
/// thread's allocation counter once <c>warmup</c> frames are out and again when the worker
/// stops. Subclasses write each frame's contents.
/// </summary>
public abstract class AllocationProbe(long warmup, long total) : SourceStage<AllocationProbe.Output, NoDrop>, IDisposable
{
    private readonly PacketPool _pool = PacketPool.Create(4096);
    private long _sent;
    private long _before = -1;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames")]
        Out,
    }

    /// <summary>True once the warm-up was reached and the worker stopped.</summary>
    public bool Measured { get; private set; }

    /// <summary>Bytes the worker thread allocated between the warm-up and its stop.</summary>
    public long AllocatedBytes { get; private set; }

    public override bool IsExhausted => Volatile.Read(ref _sent) >= total;

    /// <summary>Fills frame number <paramref name="sequence"/> (length, data, metadata).</summary>
    protected abstract void Write(Packet packet, long sequence);

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        if (_sent >= warmup && _before < 0)
        {
            _before = GC.GetAllocatedBytesForCurrentThread();
        }
        int n = _pool.AllocateBulk(packets.Slice(0, (int)Math.Min(packets.Length, total - _sent)));
        for (int i = 0; i < n; i++)
        {
            Write(packets[i], _sent + i);
            nexts[i] = To(Output.Out);
        }
        Volatile.Write(ref _sent, _sent + n);
        return n;
    }

    public override void OnStop()
    {
        if (_before >= 0)
        {
            AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - _before;
            Measured = true;
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        GC.SuppressFinalize(this);
    }
}
