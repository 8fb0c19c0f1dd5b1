using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Graph;

/// <summary>
/// A <see cref="BatchObserver"/> sees whole batches of the one stage it watches, on entry and
/// with their nexts on exit, only while attached; the packets' path is unchanged.
/// </summary>
[Collection(nameof(CoreBoundCollection))]
public class BatchObserverTests
{
    [Fact]
    public void SeesEntryAndExitOfEveryBatchWhileAttachedAndNothingAfter()
    {
        using var pool = PacketPool.Create(64);
        using var harness = new StageHarness(new ParitySplitter());
        var observer = new Recorder();
        harness.Stage.Node!.AddObserver(observer);
        Packet[] batch = Tagged(pool, 5);
        harness.Process(batch);
        Assert.Equal(5, observer.Entered);
        Assert.Equal([0, 1, 0, 1, 0], observer.Ports);

        harness.Stage.Node!.RemoveObserver(observer);
        harness.Process(Tagged(pool, 3));
        Assert.Equal(5, observer.Entered);
        Assert.Equal(5, observer.Ports.Count);
        Assert.Equal(5, harness.Stats.OutOn("even"));
        Assert.Equal(3, harness.Stats.OutOn("odd"));
        pool.FreeBulk(harness.Take("even"));
        pool.FreeBulk(harness.Take("odd"));
    }

    [Fact]
    public async Task AttachesAndDetachesOnTheRunningStagesWorker()
    {
        var capture = new CaptureSink();
        using var source = new TaggedSource(new TaggedSourceOptions { SourceId = 9, Count = 200_000 });
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", source).Add("capture", capture)
            .Connect("source", "capture")
            .Build();
        graph.Start();
        var observer = new Recorder();
        await graph.ObserveAsync("capture", observer).WaitAsync(TimeSpan.FromSeconds(30));
        await Waits.Until(() => observer.Entered > 100, "the observer to see packets", TimeSpan.FromSeconds(30));
        await graph.StopObservingAsync("capture", observer).WaitAsync(TimeSpan.FromSeconds(30));
        long seen = observer.Entered;
        await Waits.Until(() => capture.Count == 200_000, "every packet at the capture", TimeSpan.FromSeconds(60));
        await graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(seen, observer.Entered);
        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [9] = 200_000 });
    }

    private static Packet[] Tagged(PacketPool pool, int count)
    {
        var packets = new Packet[count];
        for (int i = 0; i < count; i++)
        {
            Assert.True(pool.TryAllocate(out packets[i]));
            packets[i].TrySetLength(64);
            packets[i].Data.Clear();
            packets[i].Data[25] = (byte)i;
        }
        return packets;
    }

    private sealed class Recorder : BatchObserver
    {
        private long _entered;

        public long Entered => Volatile.Read(ref _entered);

        public List<int> Ports { get; } = [];

        public override void OnEntry(ReadOnlySpan<Packet> packets) => Volatile.Write(ref _entered, _entered + packets.Length);

        public override void OnExit(ReadOnlySpan<Packet> packets, ReadOnlySpan<Next> nexts)
        {
            if (Ports.Count < 1000)
            {
                foreach (Next next in nexts)
                {
                    Ports.Add(next.Port);
                }
            }
        }
    }
}
