using Xunit;

namespace Flow.TestKit.Conformance;

/// <summary>
/// The conformance suite for a backend whose end has a peer that can go away and come back
/// (a memif peer process, the other end of a link, the kernel side of a tap): A's graph runs
/// throughout, B's is torn down, its peer taken down and brought back, and traffic resumes.
/// <code>
///   phase 1   A ⇄ B              lossless both ways
///   phase 2   A → (B gone)       A keeps running; what it sends is dropped (its graph balances)
///   phase 3   A ⇄ B' (new stages, same A stages)   lossless both ways again
/// </code>
/// </summary>
public abstract class BackendWithPeerConformanceTests : BackendConformanceTests
{
    [Fact]
    public async Task APeerThatGoesAwayAndComesBackCarriesTrafficAgain()
    {
        using var pool = new LeakCheckingPool(4096, FrameSizeFor(Capabilities.MaxFrame));
        ConformancePair pair = CreatePair(new ConformancePairOptions());
        bool gone = false;
        bool back = false;
        var a = new EndGraph(pair, PairEnd.A);
        var b1 = new EndGraph(pair, PairEnd.B);
        EndGraph? b2 = null;
        try
        {
            var plan = new ConformancePlan(2000, s => Capabilities.MinFrame + (int)(s * 53 % (Capabilities.MaxFrame - Capabilities.MinFrame + 1)))
            {
                Window = Capabilities.Window,
            };
            var before = new ConformanceSource(1, plan, pool.Pool, () => b1.Sink.ReceivedFrom(1));
            var whileGone = new ConformanceSource(2, ConformancePlan.Fixed(300, 128) with { RatePps = 5000, StartWhen = () => Volatile.Read(ref gone) },
                pool.Pool, () => 0);
            var after = new ConformanceSource(3, plan with { StartWhen = () => Volatile.Read(ref back) }, pool.Pool, () => b2?.Sink.ReceivedFrom(3) ?? 0);
            a.Send(0, before, b1);
            a.Send(0, whileGone);
            a.Send(0, after);
            a.Receive(0);
            var fromB1 = new ConformanceSource(101, plan, pool.Pool, () => a.Sink.ReceivedFrom(101));
            b1.Send(0, fromB1, a);
            b1.Receive(0);
            a.Build();
            b1.Build();
            b1.Start();
            a.Start();
            Assert.True(await Waits.TryUntil(() => a.Sink.ReceivedFrom(101) == plan.Count && b1.Sink.HasAll()),
                $"phase 1 did not complete: {a.Describe()} | {b1.Describe()}");
            await b1.StopAsync();
            b1.Sink.AssertIntact(lossless: true);
            AssertBalanced(b1);
            b1.Dispose();

            pair.TakePeerDown();
            Volatile.Write(ref gone, true);
            await Waits.Until(() => whileGone.IsExhausted, "A to send while its peer is gone");
            Assert.False(a.Stats.Stages.Any(s => s.Name.StartsWith("tx", StringComparison.Ordinal) && s.In < before.Sent + whileGone.Sent),
                $"A's tx stopped taking frames while its peer was gone: {a.Describe()}");

            pair.BringPeerBack();
            b2 = new EndGraph(pair, PairEnd.B);
            b2.Sink.Expect(after);
            var fromB2 = new ConformanceSource(102, plan, pool.Pool, () => a.Sink.ReceivedFrom(102));
            b2.Send(0, fromB2, a);
            b2.Receive(0);
            b2.Start();
            Volatile.Write(ref back, true);
            bool resumed = await Waits.TryUntil(() => a.Sink.ReceivedFrom(102) == plan.Count && b2.Sink.ReceivedFrom(3) == plan.Count);
            string state = $"{a.Describe()} | {b2.Describe()} | outside drops {pair.DropsOutsideGraphs()}";
            await a.StopAsync();
            await b2.StopAsync();
            Assert.True(resumed, $"traffic did not resume after the peer came back: {state}");
            // Frames A sent while B was gone may still arrive late at B' (a ring that kept them): B' ignores their source.
            b2.Sink.AssertIntact(lossless: true);
            a.Sink.AssertIntact(lossless: true);
            AssertBalanced(a, b2);
        }
        finally
        {
            a.Dispose();
            b1.Dispose();
            b2?.Dispose();
            pair.Dispose();
        }
    }
}
