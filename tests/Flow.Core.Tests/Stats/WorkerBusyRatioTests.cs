using System.Diagnostics;
using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Stats;

/// <summary>
/// A worker's busy ratio is the share of its time spent working. A worker that sleeps in
/// poll(2) between packets wakes for one busy pass and one empty pass each time: counting
/// passes called it half busy while it slept almost all the time.
/// </summary>
[Collection(nameof(CoreBoundCollection))]
public class WorkerBusyRatioTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EventWorkerWakingForATrickleIsNearlyIdle()
    {
        var capture = new CaptureSink();
        using var source = new TrickleSource(count: 40, interval: TimeSpan.FromMilliseconds(20));
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.SpinThenSleep(spins: 16, sleep: TimeSpan.FromMilliseconds(1)))
            .Worker(1, idle: IdlePolicy.Event(TimeSpan.FromSeconds(10)))
            .Add("source", source, 0).Add("capture", capture, 1)
            .Connect("source", "capture")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);

        Assert.Equal(40, capture.Count);
        WorkerStats consumer = graph.GetStats().Workers[1];
        Assert.True(consumer.BusyPasses >= 10, $"the event worker woke for only {consumer.BusyPasses} busy passes");
        Assert.True(consumer.ElapsedNanoseconds > 500_000_000, $"elapsed {consumer.ElapsedNanoseconds} ns");
        Assert.True(consumer.BusyRatio < 0.1, $"busy ratio {consumer.BusyRatio:F3} for a worker asleep between 40 packets in {consumer.ElapsedNanoseconds / 1e6:F0} ms " +
            $"({consumer.BusyPasses} of {consumer.Passes} passes found work, {consumer.BusyNanoseconds / 1e6:F2} ms busy)");
    }

    [Fact]
    public async Task WorkerThatAlwaysFindsWorkIsBusy()
    {
        using var source = new TaggedSource(new TaggedSourceOptions { SourceId = 3, Count = 2_000_000 });
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", source).Add("sink", new NullSink())
            .Connect("source", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);

        WorkerStats worker = graph.GetStats().Workers[0];
        Assert.True(worker.BusyRatio > 0.5, $"busy ratio {worker.BusyRatio:F3} ({worker.BusyNanoseconds / 1e6:F1} of {worker.ElapsedNanoseconds / 1e6:F1} ms)");
    }

    /// <summary>One packet per <c>interval</c>, <c>count</c> in all; nothing between.</summary>
    private sealed class TrickleSource(int count, TimeSpan interval) : SourceStage<TrickleSource.Output, NoDrop>, IDisposable
    {
        private readonly PacketPool _pool = PacketPool.Create(64);
        private readonly long _intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        private long _next = Stopwatch.GetTimestamp();
        private int _sent;

        public enum Output : byte
        {
            Out,
        }

        public override bool IsExhausted => Volatile.Read(ref _sent) == count;

        public override int Poll(Span<Packet> packets, Span<Next> nexts)
        {
            long now = Stopwatch.GetTimestamp();
            if (now < _next || packets.Length == 0 || !_pool.TryAllocate(out Packet packet))
            {
                return 0;
            }
            _next = now + _intervalTicks;
            Volatile.Write(ref _sent, _sent + 1);
            packets[0] = packet;
            nexts[0] = To(Output.Out);
            return 1;
        }

        public void Dispose() => _pool.Dispose();
    }
}
