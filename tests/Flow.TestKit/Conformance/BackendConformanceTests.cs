using Xunit;

namespace Flow.TestKit.Conformance;

/// <summary>
/// What every Flow backend must do, run against each backend by a sealed leaf in its test
/// project that makes a connected pair (<see cref="CreatePair"/>) and declares what the backend
/// supports (<see cref="Capabilities"/>):
/// <code>
///   end A                                             end B
///   conformance_source(1+q)  → tx(q) ══ backend ══ rx(q) → conformance_sink
///   conformance_sink ← rx(q) ══ backend ══ tx(q) ← conformance_source(101+q)
/// </code>
/// Every frame carries its source, sequence number and a checksum (<see cref="ConformanceFrames"/>),
/// so the sink proves bytes arrived intact, once and in order. Sources draw from a
/// <see cref="LeakCheckingPool"/> the test owns, so every test ends by proving each frame came back.
/// Every test checks conservation over both graphs: sent = received + dropped (in the graphs and
/// where the backend counts outside them) + queued.
/// </summary>
public abstract partial class BackendConformanceTests
{
    /// <summary>Source ids: end A sends 1+q, end B 101+q.</summary>
    private const uint FromA = 1;
    private const uint FromB = 101;

    protected abstract BackendCapabilities Capabilities { get; }

    /// <summary>Makes a connected pair; the suite disposes it.</summary>
    protected abstract ConformancePair CreatePair(ConformancePairOptions options);

    [Fact]
    public Task EveryFrameLengthFromTheMinimumToTheLargestArrivesIntactBothWays() =>
        TransferAsync(queues: 1, ConformancePlan.EveryLength(Capabilities.MinFrame, Capabilities.LargestFrame) with { Window = Capabilities.Window });

    [Fact]
    public Task BurstsOfEverySizeThatMattersArriveOnceInOrderBothWays()
    {
        // 1, a batch boundary each side (Burst.Default is the rx poll size), and the receiver's whole
        // window. A file has no receiver while it is written: there the bursts are the writer's.
        int window = Capabilities.Window > 0 ? Capabilities.Window : Burst.Max;
        int[] bursts = [.. new[] { 1, 2, Burst.Default - 1, Burst.Default, Burst.Default + 1, window - 1, window }.Where(b => b >= 1 && b <= window).Distinct()];
        int length = Math.Max(Capabilities.MinFrame, 64);
        return TransferAsync(queues: 1, ConformancePlan.Fixed(bursts.Sum() * 8, length) with { Bursts = Capabilities.StoreAndForward ? null : bursts });
    }

    [Fact]
    public Task BackToBackFramesAtFullSpeedArriveOnceInOrderBothWays() =>
        TransferAsync(queues: 1, ConformancePlan.Fixed(20_000, Math.Max(Capabilities.MinFrame, 64)) with { Window = Capabilities.Window });

    [Fact]
    public Task EveryQueueCarriesItsOwnFlowBothWays() =>
        TransferAsync(Capabilities.Queues, new ConformancePlan(3000, s => Capabilities.MinFrame + (int)(s * 37 % (Capabilities.MaxFrame - Capabilities.MinFrame + 1)))
        {
            Window = Capabilities.Window,
        });

    /// <summary>
    /// End B holds every frame it receives, so its receive pool (or the zero-copy sender's pool)
    /// runs dry. Every frame sent is then either received or counted where it was dropped; once
    /// B lets go, what was waiting arrives intact and in order.
    /// </summary>
    [Fact]
    public async Task AnExhaustedPoolCountsEveryFrameItCannotTakeAndRecovers()
    {
        const int receivePool = 64;
        const int count = 4096;
        using var pool = new LeakCheckingPool(count / 2, FrameSizeFor(Capabilities.MinFrame));
        ConformancePair pair = CreatePair(new ConformancePairOptions { ReceivePoolFrames = receivePool });
        var a = new EndGraph(pair, PairEnd.A);
        var b = new EndGraph(pair, PairEnd.B, holdReceived: true);
        try
        {
            var plan = ConformancePlan.Fixed(count, Math.Max(Capabilities.MinFrame, 64)) with { RatePps = 20_000 };
            a.Send(0, new ConformanceSource(FromA, plan, pool.Pool, () => b.Sink.ReceivedFrom(FromA)), b);
            b.Receive(0);
            long outsideBefore = pair.DropsOutsideGraphs();
            await StartAsync(a, b);
            // B holds what it gets, so nothing comes back to its pool: wait until nothing moves any more.
            await Waits.Until(() => a.Sent > 0, "the first frame from A");
            await Settle(() => a.Sent + b.Sink.HeldCount + a.Dropped + b.Dropped + pair.DropsOutsideGraphs());
            Assert.True(b.Sink.HeldCount > 0, $"nothing arrived before the pool ran dry; {a.Describe()} | {b.Describe()}");
            long countedWhileDry = a.Dropped + b.Dropped + pair.DropsOutsideGraphs() - outsideBefore +
                pool.Pool.AllocationFailures + pair.PoolEmptyEvents();
            Assert.True(countedWhileDry > 0,
                $"the receive side held {b.Sink.HeldCount} frames and nothing counted the exhaustion (no drop, no allocation failure); {a.Describe()} | {b.Describe()}");

            b.Sink.ReleaseHeld();
            bool settled = await Waits.TryUntil(() =>
                a.Sources.All(s => s.IsExhausted) &&
                b.Sink.Received + a.Dropped + b.Dropped + pair.DropsOutsideGraphs() - outsideBefore >= count);
            await a.StopAsync();
            await b.StopAsync();
            b.Sink.ReleaseHeld();

            long dropped = a.Dropped + b.Dropped + pair.DropsOutsideGraphs() - outsideBefore;
            Assert.True(settled && b.Sink.Received + dropped + a.Queued + b.Queued == count,
                $"sent {a.Sent} of {count}: received {b.Sink.Received} + dropped {dropped} + queued {a.Queued + b.Queued} do not add up; {a.Describe()} | {b.Describe()}");
            b.Sink.AssertIntact(lossless: false);
            AssertBalanced(a, b);
        }
        finally
        {
            b.Sink.ReleaseHeld();
            a.Dispose();
            b.Dispose();
            pair.Dispose();
        }
    }

    /// <summary>
    /// Both ends stop in the middle of a stream with frames in the tx stages, the backend's rings
    /// and the rx stages; disposing the graphs and the pair returns every frame to its pool.
    /// </summary>
    [Fact]
    public async Task StoppingWithFramesInFlightReturnsEveryFrameToItsPool()
    {
        using var pool = new LeakCheckingPool(4096, FrameSizeFor(Capabilities.MaxFrame));
        ConformancePair pair = CreatePair(new ConformancePairOptions());
        var a = new EndGraph(pair, PairEnd.A);
        var b = new EndGraph(pair, PairEnd.B);
        try
        {
            var plan = ConformancePlan.Fixed(1_000_000, Capabilities.MaxFrame);
            a.Send(0, new ConformanceSource(FromA, plan, pool.Pool, () => b.Sink.ReceivedFrom(FromA)), b);
            if (Capabilities.BothWays)
            {
                b.Send(0, new ConformanceSource(FromB, plan, pool.Pool, () => a.Sink.ReceivedFrom(FromB)), a);
                a.Receive(0);
            }
            a.Build();
            if (!Capabilities.StoreAndForward)
            {
                b.Receive(0);
                b.Build();
                b.Start();
            }
            a.Start();
            await Waits.Until(() => a.Sent > 2000 && (Capabilities.StoreAndForward || b.Sink.Received > 0), "the stream to get going");
            await a.StopAsync(drain: false);
            await b.StopAsync(drain: false);
            AssertBalanced(a, b);
            a.Sink.AssertIntact(lossless: false);
            b.Sink.AssertIntact(lossless: false);
        }
        finally
        {
            a.Dispose();
            b.Dispose();
            pair.Dispose();
        }
    }
}
