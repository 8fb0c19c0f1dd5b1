using Xunit;

namespace Flow.Core.Tests.Graph;

/// <summary>
/// Steady state allocates nothing on a worker: a probe source reads the worker thread's
/// allocation counter after a warm-up and again when the worker stops.
/// </summary>
[Collection(nameof(CoreBoundCollection))]
public class GraphAllocationTests
{
    [Fact]
    public async Task SteadyStateOnAWorkerAllocatesNothing()
    {
        var probe = new AllocationProbeSource(warmup: 50_000, total: 500_000);
        using FlowGraph graph = new GraphBuilder()
            .Add("probe", probe).Add("split", new ParitySplitter()).Add("count", new Counter())
            .Add("sink", new NullSink()).Add("drop", new Dropper())
            .Connect("probe", "split").Connect("split:even", "count").Connect("count", "sink").Connect("split:odd", "drop")
            .Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(probe.Measured, "the probe never reached its warm-up count");
        Assert.Equal(0, probe.AllocatedBytes);
    }

    [Stage("allocation_probe", "Test source measuring allocations on its worker.")]
    private sealed class AllocationProbeSource(long warmup, long total) : SourceStage<AllocationProbeSource.Output, NoDrop>, IDisposable
    {
        private readonly PacketPool _pool = PacketPool.Create(4096);
        private long _sent;
        private long _before = -1;

        public enum Output : byte
        {
            [Port(typeof(Carries.Ethernet), "frames")]
            Out,
        }

        public bool Measured { get; private set; }

        public long AllocatedBytes { get; private set; }

        public override bool IsExhausted => Volatile.Read(ref _sent) >= total;

        public override int Poll(Span<Packet> packets, Span<Next> nexts)
        {
            if (_sent >= warmup && _before < 0)
            {
                _before = GC.GetAllocatedBytesForCurrentThread();
            }
            int n = _pool.AllocateBulk(packets.Slice(0, (int)Math.Min(packets.Length, total - _sent)));
            for (int i = 0; i < n; i++)
            {
                packets[i].TrySetLength(64);
                packets[i].Data[25] = (byte)i;
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

        public void Dispose() => _pool.Dispose();
    }
}
