using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Graph;

[Collection(nameof(CoreBoundCollection))]
public class GraphRunTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task OneWorkerDeliversEveryTaggedPacketOnceInOrderAndBalances()
    {
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { SourceId = 1, Count = 10_000 }))
            .Add("count", new Counter())
            .Add("capture", capture)
            .Connect("source", "count")
            .Connect("count", "capture")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);

        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [1] = 10_000 });
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(10_000, stats.Stage("count").In);
        Assert.Equal(10_000, stats.Stage("count").OutOn("out"));
        Assert.Equal(10_000, stats.Stage("capture").Consumed);
        Assert.Equal(GraphState.Stopped, graph.State);
    }

    [Fact]
    public async Task StagesOnTwoWorkersAreJoinedByARingAndNothingIsLost()
    {
        var capture = new CaptureSink();
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 7, Count = 200_000 });
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding).Worker(1, idle: IdlePolicy.Yielding)
            .Add("source", source, worker: 0)
            .Add("count", new Counter(), worker: 1)
            .Add("capture", capture, worker: 1)
            .Connect("source", "count", ringCapacity: 64 * 1024)
            .Connect("count", "capture")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);

        GraphStats stats = graph.GetStats();
        RingStats ring = Assert.Single(stats.Rings);
        Assert.Equal("source:out", ring.From);
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages.Concat<object>(stats.Rings)));
        Assert.Equal(200_000, ring.Enqueued + ring.Dropped);
        Assert.Equal(ring.Enqueued, capture.Count);
        if (ring.Dropped == 0)
        {
            capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [7] = 200_000 });
        }
        Assert.Equal(0, source.Pool.Outstanding);
    }

    [Fact]
    public async Task AFeedbackEdgeClosesALoopOnOneWorkerAndEveryPacketGoesRoundItsTimes()
    {
        var capture = new CaptureSink();
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 3, Count = 10_000 });
        using FlowGraph graph = new GraphBuilder()
            .Add("source", source)
            .Add("loop", new Looper(passes: 3))
            .Add("capture", capture)
            .Connect("source", "loop")
            .Feedback("loop:again", "loop", ringCapacity: 64 * 1024)
            .Connect("loop:done", "capture")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages.Concat<object>(stats.Rings)));
        RingStats ring = Assert.Single(stats.Rings);
        Assert.Equal(("loop:again", 20_000L, 0L), (ring.From, ring.Enqueued, ring.Dropped));
        Assert.Equal(30_000, stats.Stage("loop").In);
        Assert.Equal(10_000, stats.Stage("loop").OutOn("done"));
        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [3] = 10_000 });
        Assert.Equal(0, source.Pool.Outstanding);
    }

    [Fact]
    public async Task AFullRingDropsAndCountsNeverBlocks()
    {
        using var gate = new ManualResetEventSlim(false);
        var capture = new CaptureSink();
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 1, Count = 5_000 });
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding).Worker(1, idle: IdlePolicy.Yielding)
            .Add("source", source, 0)
            .Add("gate", new GateStage(gate), 1)
            .Add("capture", capture, 1)
            .Connect("source", "gate", ringCapacity: 16)
            .Connect("gate", "capture")
            .Build();
        graph.Start();
        // Worker 1 blocks inside its first batch until the source is done, so the ring fills up.
        await Waits.Until(() => source.IsExhausted, "the source to send everything", Limit);
        gate.Set();
        await graph.Completion.WaitAsync(Limit);

        RingStats ring = graph.GetStats().Rings.Single();
        Assert.True(ring.Dropped > 0, "the ring never filled");
        Assert.Equal(5_000, ring.Enqueued + ring.Dropped);
        Assert.Equal(ring.Enqueued, capture.Count);
        Assert.Equal(0, source.Pool.Outstanding);
    }

    [Fact]
    public async Task ShardedWorkersEachRunTheWholeGraph()
    {
        var captures = new[] { new CaptureSink(), new CaptureSink() };
        var builder = new GraphBuilder();
        for (int w = 0; w < 2; w++)
        {
            builder.Worker(w, idle: IdlePolicy.Yielding)
                .Add($"source{w}", new TaggedSource(new TaggedSourceOptions { SourceId = (uint)w, Count = 50_000 }), w)
                .Add($"split{w}", new ParitySplitter(), w)
                .Add($"even{w}", captures[w], w)
                .Add($"odd{w}", new Dropper(), w)
                .Connect($"source{w}", $"split{w}").Connect($"split{w}:even", $"even{w}").Connect($"split{w}:odd", $"odd{w}");
        }
        using FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(Limit);

        GraphStats stats = graph.GetStats();
        Assert.Empty(stats.Rings);
        Assert.True(stats.IsBalanced);
        for (int w = 0; w < 2; w++)
        {
            Assert.Equal(25_000, captures[w].Count);
            Assert.Equal(25_000, stats.Stage($"odd{w}").DroppedFor("dropped"));
        }
    }

    [Fact]
    public async Task AThrowingStageStopsTheGraphWithAnErrorNamingIt()
    {
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 1_000_000 }))
            .Add("faulty", new Thrower(throwOnBatch: 3))
            .Add("sink", new NullSink())
            .Connect("source", "faulty").Connect("faulty", "sink")
            .Build();
        graph.Start();
        var e = await Assert.ThrowsAsync<StageFaultException>(() => graph.Completion.WaitAsync(Limit));
        Assert.Equal("faulty", e.Stage);
        Assert.Contains("stage 'faulty' on worker 0 threw InvalidOperationException: boom", e.Message);
        Assert.Equal(GraphState.Faulted, graph.State);
        Assert.True(graph.GetStats().Stage("faulty").DroppedFor(StageDescriptor.StageFault) > 0);
    }

    [Fact]
    public async Task AStageTwoStagesFeedTakesBothOfAPassAsOneBatch()
    {
        // Where edges meet, a pass's packets gather into one batch (a tx stage kicks its device
        // once a pass); only a stage with one input runs each batch in place as it comes.
        using FlowGraph graph = new GraphBuilder().WithBurst(32)
            .Add("a", new TaggedSource(new TaggedSourceOptions { Count = 32_000 }))
            .Add("b", new TaggedSource(new TaggedSourceOptions { Count = 32_000 }))
            .Add("both", new Counter()).Add("sink", new NullSink())
            .Connect("a", "both").Connect("b", "both").Connect("both", "sink")
            .Build();
        graph.Start();
        await graph.Completion.WaitAsync(Limit);
        GraphStats stats = graph.GetStats();
        Assert.Equal(64_000, stats.Stage("both").In);
        Assert.True(stats.Stage("both").Batches <= 1_100, $"{stats.Stage("both").Batches} batches for 2 000 polls of 32 from each source");
        Assert.Equal(64_000, stats.Stage("sink").In);
    }

    [Fact]
    public async Task AStageThatThrowsDeepInAChainOfStagesIsTheOneNamedAndCharged()
    {
        // source → first → second → faulty → sink on one worker: a batch runs on through the
        // chain in place, so the fault is found three stages after the batch's owner.
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 1_000_000 }))
            .Add("first", new Counter()).Add("second", new Counter())
            .Add("faulty", new Thrower(throwOnBatch: 3))
            .Add("sink", new NullSink())
            .Connect("source", "first").Connect("first", "second").Connect("second", "faulty").Connect("faulty", "sink")
            .Build();
        graph.Start();
        var e = await Assert.ThrowsAsync<StageFaultException>(() => graph.Completion.WaitAsync(Limit));
        Assert.Equal("faulty", e.Stage);
        GraphStats stats = graph.GetStats();
        long dropped = stats.Stage("faulty").DroppedFor(StageDescriptor.StageFault);
        Assert.True(dropped > 0, "the faulty stage's batch is dropped as stage_fault");
        Assert.Equal(0, stats.Stage("first").DroppedFor(StageDescriptor.StageFault));
        Assert.Equal(0, stats.Stage("second").DroppedFor(StageDescriptor.StageFault));
        Assert.Equal(stats.Stage("second").In, stats.Stage("faulty").In);
    }

    [Fact]
    public async Task FloodCopiesAreCountedAsEmittedAndBalance()
    {
        using var copies = new LeakCheckingPool(4096);
        var a = new CaptureSink();
        var b = new CaptureSink();
        using (FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { SourceId = 3, Count = 3_000 }))
            .Add("dup", new Duplicator(copies.Pool))
            .Add("a", a).Add("b", b)
            .Connect("source", "dup").Connect("dup:a", "a").Connect("dup:b", "b")
            .Build())
        {
            await graph.RunAsync().WaitAsync(Limit);
            StageStats dup = graph.GetStats().Stage("dup");
            Assert.Equal(3_000, dup.Emitted);
            Assert.True(dup.IsBalanced, dup.ToString());
        }
        a.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [3] = 3_000 });
        b.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [3] = 3_000 });
    }

    [Fact]
    public async Task AnInvalidNextIsADropNotACrash()
    {
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 100 }))
            .Add("liar", new Liar()).Add("sink", new NullSink())
            .Connect("source", "liar").Connect("liar", "sink")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);
        StageStats liar = graph.GetStats().Stage("liar");
        Assert.Equal(100, liar.DroppedFor(StageDescriptor.InvalidNext));
        Assert.True(liar.IsBalanced);
    }

    [Fact]
    public async Task StopWithDrainProcessesEverythingInFlight()
    {
        var capture = new CaptureSink();
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 2, Count = long.MaxValue, PoolFrames = 8192 });
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding).Worker(1, idle: IdlePolicy.Yielding)
            .Add("source", source, 0).Add("capture", capture, 1)
            .Connect("source", "capture", ringCapacity: 8192)
            .Build();
        graph.Start();
        await Waits.Until(() => capture.Count >= 10_000, "10000 packets at the capture", Limit);
        await graph.StopAsync(drain: true).WaitAsync(Limit);

        GraphStats stats = graph.GetStats();
        RingStats ring = stats.Rings.Single();
        Assert.Equal(0, ring.Occupancy);
        Assert.Equal(source.Sent, ring.Enqueued + ring.Dropped);
        Assert.Equal(ring.Enqueued, capture.Count);
        Assert.Equal(0, source.Pool.Outstanding);
    }

    [Fact]
    public async Task EventIdleWorkersSleepAndWakeForRingTraffic()
    {
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding).Worker(1, idle: IdlePolicy.Event(TimeSpan.FromSeconds(10)))
            .Add("source", new TaggedSource(new TaggedSourceOptions { SourceId = 5, Count = 20_000 }), 0)
            .Add("capture", capture, 1)
            .Connect("source", "capture", ringCapacity: 32 * 1024)
            .Build();
        await graph.RunAsync().WaitAsync(Limit);
        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [5] = 20_000 });
        WorkerStats consumer = graph.GetStats().Workers[1];
        // A worker that blocked in poll(2) did far fewer passes than a spinning one would.
        Assert.True(consumer.Passes < 1_000_000, $"event worker made {consumer.Passes} passes");
    }

    [Fact]
    public async Task ControlMessagesRunOnTheStagesWorkerBetweenBatches()
    {
        var source = new TaggedSource(new TaggedSourceOptions { Count = long.MaxValue });
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", source).Add("settable", new Settable()).Add("sink", new NullSink())
            .Connect("source", "settable").Connect("settable", "sink")
            .Build();
        graph.Start();
        int workerThread = 0;
        while (workerThread == 0)
        {
            workerThread = await graph.InvokeAsync<Settable, int>("settable", s => s.LastThread).WaitAsync(Limit);
        }
        int ranOn = await graph.InvokeAsync<Settable, int>("settable", s =>
        {
            s.Setting = 1;
            return Environment.CurrentManagedThreadId;
        }).WaitAsync(Limit);
        Assert.Equal(workerThread, ranOn);
        int seen = 0;
        while (seen == 0)
        {
            seen = await graph.InvokeAsync<Settable, int>("settable", s => s.SeenWithSetting).WaitAsync(Limit);
        }
        var failure = await Assert.ThrowsAsync<ArgumentException>(() =>
            graph.InvokeAsync<Settable, int>("settable", _ => throw new ArgumentException("bad value 7")).WaitAsync(Limit));
        Assert.Equal("bad value 7", failure.Message);
        Assert.Equal(GraphState.Running, graph.State);
        await graph.StopAsync().WaitAsync(Limit);
        Assert.Equal(1, await graph.InvokeAsync<Settable, int>("settable", s => s.Setting));
    }

    [Fact]
    public async Task PinnedWorkerRunsOnlyOnItsCpu()
    {
        int cpu = Environment.ProcessorCount - 1;
        var probe = new CpuProbe();
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, cpu: cpu, idle: IdlePolicy.Yielding)
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 1000 }))
            .Add("probe", probe).Add("capture", capture)
            .Connect("source", "probe").Connect("probe", "capture")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);
        Assert.Equal(1000, capture.Count);
        Assert.Equal([cpu], probe.AllowedCpus);
        Assert.Equal([cpu], probe.CpusSeen);
    }
}
