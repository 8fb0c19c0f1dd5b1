using Flow.TestKit;
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
    private sealed class AllocationProbeSource(long warmup, long total) : AllocationProbe(warmup, total)
    {
        protected override void Write(Packet packet, long sequence)
        {
            packet.TrySetLength(64);
            packet.Data[25] = (byte)sequence;
        }
    }
}
