using System.Runtime.CompilerServices;
using Xunit;

namespace Flow.Core.Tests.Stats;

/// <summary>
/// Cost per packet is processing time only: a stage's first batch (the JIT compiling its path)
/// and any batch during which the JIT ran are not samples, and too few samples give no figure.
/// </summary>
public class StageCostTests : IDisposable
{
    private const int OneOffMilliseconds = 40;

    private readonly PacketPool _pool = PacketPool.Create(64);

    [Fact]
    public void FirstBatchOneOffCostIsNotInTheCostPerPacket()
    {
        var stage = new OneOff(slowBatches: [0]);
        using var harness = new StageHarness(stage);
        RunBatches(harness, 32 * 10);
        double? ns = harness.Stats.NanosecondsPerPacket;
        Assert.NotNull(ns);
        Assert.True(ns < 1_000_000, $"{ns} ns/packet: the first batch's {OneOffMilliseconds} ms were counted");
    }

    [Fact]
    public void BatchesDuringWhichTheJitCompiledAreNotSamples()
    {
        // Each slow batch calls a method never called before, so the JIT runs on the worker's
        // thread during it; 31 and 63 are batches the sampler times, 0, 32 and 64 the ones it timed before.
        var stage = new OneOff(slowBatches: [0, 31, 32, 63, 64]);
        using var harness = new StageHarness(stage);
        RunBatches(harness, 32 * 12);
        double? ns = harness.Stats.NanosecondsPerPacket;
        Assert.NotNull(ns);
        Assert.True(ns < 1_000_000, $"{ns} ns/packet: a batch that compiled code was counted");
    }

    [Fact]
    public void TooFewTimedBatchesGiveNoCostPerPacket()
    {
        using var harness = new StageHarness(new OneOff(slowBatches: []));
        RunBatches(harness, 100);
        StageStats stats = harness.Stats;
        Assert.Equal(100, stats.In);
        Assert.Null(stats.NanosecondsPerPacket);
        Assert.Null(stats.CyclesPerPacket);
    }

    [Fact]
    public void TransmittingStageCallsWhatItConsumedSent()
    {
        Assert.True(StageDescriptor.Of(typeof(TestTx)).Transmits);
        Assert.False(StageDescriptor.Of(typeof(OneOff)).Transmits);
        using var harness = new StageHarness(new TestTx());
        RunBatches(harness, 5);
        StageStats stats = harness.Stats;
        Assert.True(stats.Transmits);
        Assert.Equal(5, stats.Sent);
        Assert.Equal(5, stats.Consumed);
        Assert.True(stats.IsBalanced);
    }

    public void Dispose()
    {
        Assert.Equal(0, _pool.Outstanding);
        _pool.Dispose();
    }

    /// <summary>One-packet batches, each freed after it left.</summary>
    private void RunBatches(StageHarness harness, int batches)
    {
        for (int b = 0; b < batches; b++)
        {
            Assert.True(_pool.TryAllocate(out Packet packet));
            harness.Process([packet]);
            foreach (PortDescriptor port in harness.Stage.Descriptor.Ports)
            {
                _pool.FreeBulk(harness.Take(port.Name));
            }
        }
    }

    /// <summary>Passes packets on; on the listed batches first compiles a fresh method that sleeps (a one-off cost).</summary>
    [Stage("one_off", "Test stage: slow on chosen batches, as a JIT-compiling first run is.")]
    private sealed class OneOff(int[] slowBatches) : Stage<OneOff.Output, NoDrop>
    {
        private int _batch;

        public enum Output : byte
        {
            Out,
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            int index = Array.IndexOf(slowBatches, _batch++);
            if (index >= 0)
            {
                CompileAndWait(index);
            }
            nexts.Slice(0, packets.Length).Fill(To(Output.Out));
        }

        /// <summary>A generic instantiation per call site: each first call is a JIT compilation on this thread.</summary>
        private static void CompileAndWait(int index)
        {
            switch (index)
            {
                case 0: Fresh<byte>.Wait(); break;
                case 1: Fresh<short>.Wait(); break;
                case 2: Fresh<int>.Wait(); break;
                case 3: Fresh<long>.Wait(); break;
                default: Fresh<double>.Wait(); break;
            }
        }
    }

    private static class Fresh<T>
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Wait() => Thread.Sleep(OneOffMilliseconds + (typeof(T) == typeof(byte) ? 0 : 1));
    }

    [Stage("test_tx", "Test stage: transmits (frees) every packet.", Transmits = true)]
    private sealed class TestTx : Stage<NoOutput, NoDrop>
    {
        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            PacketPools.Free(packets);
            nexts.Slice(0, packets.Length).Fill(Next.Consumed);
        }
    }
}
