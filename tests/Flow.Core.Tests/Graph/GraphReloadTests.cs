using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Graph;

/// <summary>
/// <see cref="FlowGraph.ReplaceAsync"/> under traffic: tagged packets prove that none is lost,
/// duplicated or reordered on paths a reload keeps, whatever it adds, removes or moves around
/// them; kept stages keep their state and counters and are neither stopped nor started again.
/// </summary>
[Collection(nameof(CoreBoundCollection))]
public sealed class GraphReloadTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    // Sources send without end at this rate until the test stops the graph (a drain delivers all
    // they sent), so a slow machine cannot make one finish before the reloads are done.
    private const long Rate = 200_000;
    private const long Step = 40_000;

    /// <summary>Passes packets on; records its lifecycle and takes a setting live.</summary>
    [Stage("lifecycle", "Test stage: passes packets on, records OnStart/OnStop/Dispose, reconfigurable.", Accepts = typeof(Carries.Ethernet))]
    public sealed class Lifecycle : Stage<Lifecycle.Output, NoDrop>, IReconfigurableStage, IDisposable
    {
        public enum Output : byte
        {
            [Port(typeof(Carries.Ethernet), "every packet")]
            Out,
        }

        public int Starts { get; private set; }

        public int Stops { get; private set; }

        public bool Disposed { get; private set; }

        public int StartThread { get; private set; }

        public long Seen { get; private set; }

        public int Setting { get; private set; }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            Seen += packets.Length;
            nexts.Slice(0, packets.Length).Fill(To(Output.Out));
        }

        public override void OnStart()
        {
            Starts++;
            StartThread = Environment.CurrentManagedThreadId;
        }

        public override void OnStop() => Stops++;

        public string? CheckReconfigure(object options) => options is int n && n >= 0 ? null : "the setting must be a non-negative int";

        public void Reconfigure(object options) => Setting = (int)options;

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public async Task ReplacingTheMiddleStageFiveTimesUnderTrafficLosesNoPacketAndKeepsTheEndsRunning()
    {
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 7, Count = long.MaxValue, RatePps = Rate });
        var capture = new CaptureSink();
        var first = new Lifecycle();
        // source → middle on worker 0, a ring to capture on worker 1: every version the same but the middle.
        FlowGraph Version(GraphBuilder builder, Lifecycle middle) => builder
            .Worker(0).Worker(1)
            .Add("source", source, 0)
            .Add("middle", middle, 0)
            .Add("capture", capture, 1)
            .Connect("source", "middle")
            .Connect("middle", "capture", backPressure: true)
            .Build();
        await using FlowGraph graph = Version(new GraphBuilder(), first);
        graph.Start();
        var replaced = new List<Lifecycle> { first };
        for (int i = 0; i < 5; i++)
        {
            await Waits.Until(() => source.Sent > Step * (i + 1), "the source to send", Limit);
            var middle = new Lifecycle();
            FlowGraph next = Version(new GraphBuilder().Replacing(graph), middle);
            GraphReload reload = await graph.ReplaceAsync(next).WaitAsync(Limit);
            Assert.Equal(["capture", "source"], reload.Kept);
            Assert.Equal(["middle"], reload.Replaced);
            Assert.Empty(reload.Added);
            Assert.Empty(reload.Removed);
            Assert.Equal(0, reload.PacketsLost);
            replaced.Add(middle);
        }
        await Waits.Until(() => replaced[^1].Seen > 0, "traffic through the last version of the middle stage", Limit);
        await graph.StopAsync(drain: true).WaitAsync(Limit);
        long sent = source.Sent;
        GraphStats end = graph.GetStats();
        Assert.True(end.IsBalanced && end.Stages.Single(s => s.Name == "capture").In == sent,
            $"sent {sent}\n{string.Join("\n", end.Stages)}\n{string.Join("\n", end.Rings)}");

        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [7] = sent });
        Assert.Equal(sent, replaced.Sum(m => m.Seen));
        Assert.All(replaced, m => Assert.Equal(1, m.Starts));
        Assert.All(replaced[..^1], m => Assert.True(m.Stops == 1 && m.Disposed, "a replaced stage was not stopped and disposed"));
        GraphStats stats = graph.GetStats();
        Assert.Equal(sent, stats.Stages.Single(s => s.Name == "source").In);
        Assert.Equal(sent, stats.Stages.Single(s => s.Name == "capture").In);
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
    }

    [Fact]
    public async Task AReloadAddsAStageAndAWorkerThenRemovesThemAndNothingIsLost()
    {
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 3, Count = long.MaxValue, RatePps = Rate });
        var capture = new CaptureSink();
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0)
            .Add("source", source)
            .Add("capture", capture)
            .Connect("source", "capture")
            .Build();
        graph.Start();
        await Waits.Until(() => source.Sent > Step, "the source to send", Limit);

        // Version 2: a stage in between, on a new worker (the edges into and out of it are rings).
        var inserted = new Lifecycle();
        GraphReload grown = await graph.ReplaceAsync(new GraphBuilder().Replacing(graph)
            .Worker(0).Worker(1)
            .Add("source", source, 0)
            .Add("inserted", inserted, 1)
            .Add("capture", capture, 0)
            .Connect("source", "inserted", backPressure: true)
            .Connect("inserted", "capture", backPressure: true)
            .Build()).WaitAsync(Limit);
        Assert.Equal(["inserted"], grown.Added);
        Assert.Equal(0, grown.PacketsLost);
        Assert.Equal(2, graph.Workers.Count);
        await Waits.Until(() => graph.GetStats().Stages.Single(s => s.Name == "inserted").In > 10_000, "traffic through the added stage", Limit);
        Assert.Equal(1, inserted.Starts);
        Assert.NotEqual(Environment.CurrentManagedThreadId, inserted.StartThread);

        // Version 3: back to one worker; the stage on the retired worker is stopped and disposed.
        GraphReload shrunk = await graph.ReplaceAsync(new GraphBuilder().Replacing(graph)
            .Worker(0)
            .Add("source", source)
            .Add("capture", capture)
            .Connect("source", "capture")
            .Build()).WaitAsync(Limit);
        Assert.Equal(["inserted"], shrunk.Removed);
        Assert.Equal(0, shrunk.PacketsLost);
        Assert.Single(graph.Workers);
        Assert.True(inserted.Stops == 1 && inserted.Disposed);
        long afterShrink = source.Sent;
        await Waits.Until(() => source.Sent > afterShrink + Step, "the source to send after the last reload", Limit);

        await graph.StopAsync(drain: true).WaitAsync(Limit);
        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [3] = source.Sent });
        Assert.True(graph.GetStats().IsBalanced, string.Join("\n", graph.GetStats().Stages));
    }

    [Fact]
    public async Task AKeptStageTakesAChangedSettingLiveAndKeepsItsCountersAndObservers()
    {
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 1, Count = long.MaxValue, RatePps = Rate });
        var capture = new CaptureSink();
        var middle = new Lifecycle();
        var observer = new CountingObserver();
        await using FlowGraph graph = new GraphBuilder()
            .Add("source", source)
            .Add("middle", middle)
            .Add("capture", capture)
            .Connect("source", "middle")
            .Connect("middle", "capture", backPressure: true)
            .Build();
        await graph.ObserveAsync("middle", observer).WaitAsync(Limit);
        graph.Start();
        await Waits.Until(() => source.Sent > Step, "the source to send", Limit);
        // Out, not In: In adds what is queued, which counts a batch twice while it is being processed.
        long before = graph.GetStats().Stages.Single(s => s.Name == "middle").OutTotal;

        GraphReload reload = await graph.ReplaceAsync(new GraphBuilder().Replacing(graph)
            .Add("source", source)
            .Add("middle", middle)
            .Add("capture", capture)
            .Connect("source", "middle")
            .Connect("middle", "capture")
            .Build(), new Dictionary<string, object> { ["middle"] = 42 }).WaitAsync(Limit);
        Assert.Equal(["middle"], reload.Reconfigured);
        Assert.Equal(["capture", "middle", "source"], reload.Kept);
        Assert.Equal(42, middle.Setting);
        long after = graph.GetStats().Stages.Single(s => s.Name == "middle").OutTotal;
        Assert.True(after >= before, $"the kept stage's counters went back: {before} before the reload, {after} after; {reload.Summary()}");

        long sentAtReload = source.Sent;
        await Waits.Until(() => source.Sent > sentAtReload + Step, "the source to send after the reload", Limit);
        await graph.StopAsync(drain: true).WaitAsync(Limit);
        long sent = source.Sent;
        Assert.Equal((1, 1), (middle.Starts, middle.Stops));
        Assert.False(middle.Disposed);
        Assert.Equal(sent, graph.GetStats().Stages.Single(s => s.Name == "middle").In);
        Assert.Equal(sent, observer.Entered);
        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [1] = sent });
    }

    [Fact]
    public async Task AGraphBuiltToReplaceAnotherCannotStartAndOnlyItsOwnStagesGoWhenItIsDropped()
    {
        var kept = new Lifecycle();
        await using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 0 }))
            .Add("kept", kept)
            .Add("sink", new NullSink())
            .Connect("source", "kept")
            .Connect("kept", "sink")
            .Build();
        var fresh = new Lifecycle();
        FlowGraph next = new GraphBuilder().Replacing(graph)
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 0 }))
            .Add("kept", kept)
            .Add("fresh", fresh)
            .Add("sink", new NullSink())
            .Connect("source", "kept")
            .Connect("kept", "fresh")
            .Connect("fresh", "sink")
            .Build();
        Assert.Contains("ReplaceAsync", Assert.Throws<InvalidOperationException>(next.Start).Message);
        // Not running: nothing to replace, and nothing changed.
        Assert.Contains("only a running graph", (await Assert.ThrowsAsync<InvalidOperationException>(() => graph.ReplaceAsync(next))).Message);
        await next.DisposeAsync();
        Assert.True(fresh.Disposed);
        Assert.False(kept.Disposed);
        Assert.Equal("kept", kept.Name);

        // A graph that was not built with Replacing(graph) is refused, and so is a stage of a third graph.
        await using FlowGraph stranger = new GraphBuilder().Add("source", new TaggedSource(new TaggedSourceOptions { Count = 0 }))
            .Add("sink", new NullSink()).Connect("source", "sink").Build();
        await Assert.ThrowsAsync<ArgumentException>(() => graph.ReplaceAsync(stranger));
        var error = Assert.Throws<GraphValidationException>(() => new GraphBuilder().Replacing(stranger)
            .Add("kept", kept).Add("sink", new NullSink()).Connect("kept", "sink").Build());
        Assert.Contains(error.Errors, e => e.Kind == GraphErrorKind.StageInAnotherGraph);
    }

    private sealed class CountingObserver : BatchObserver
    {
        public long Entered;

        public override void OnEntry(ReadOnlySpan<Packet> packets) => Entered += packets.Length;

        public override void OnExit(ReadOnlySpan<Packet> packets, ReadOnlySpan<Next> nexts)
        {
        }
    }
}
