namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>
/// Stands in for a NIC's receive: takes frames from its pool (prepared once with the template)
/// and restores the fields the pipeline changes, like a driver handing over fresh frames.
/// For the heavy workload each packet gets the next destination of a random sequence.
/// </summary>
[Stage("bench_rx", "Benchmark source: recycles template frames from its pool.")]
internal sealed class BenchRx : SourceStage<BenchRx.Output, BenchRx.Reason>, IDisposable
{
    private readonly uint[] _destinations;
    private int _next;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "received frames")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("pool empty: every frame in flight")]
        PoolEmpty,
    }

    public BenchRx(int frames, uint[] destinations)
    {
        Pool = PacketPool.Create(frames, name: "bench-rx");
        var all = new Packet[frames];
        Pool.AllocateBulk(all);
        foreach (Packet packet in all)
        {
            PacketWork.WriteTemplate(packet);
        }
        Pool.FreeBulk(all);
        _destinations = destinations;
    }

    public PacketPool Pool { get; }

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        int n = Pool.AllocateBulk(packets);
        uint[] destinations = _destinations;
        for (int i = 0; i < n; i++)
        {
            uint destination = 0;
            if (destinations.Length != 0)
            {
                destination = destinations[_next];
                _next = (_next + 1) & (destinations.Length - 1);
            }
            PacketWork.Receive(packets[i], destination);
        }
        nexts.Slice(0, n).Fill(To(Output.Out));
        return n;
    }

    public void Dispose() => Pool.Dispose();
}
