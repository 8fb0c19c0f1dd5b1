using Xunit;

namespace Flow.TestKit.Conformance;

public abstract partial class BackendConformanceTests
{
    /// <summary>A pool frame with room for <paramref name="length"/> bytes after the default headroom.</summary>
    protected static int FrameSizeFor(int length) => Math.Max(PacketPool.DefaultFrameSize, (length + PacketPool.DefaultDataOffset + 63) & ~63);

    /// <summary>
    /// Sends <paramref name="plan"/> on each of <paramref name="queues"/> queues from A to B (and
    /// from B to A when the backend goes both ways, at the same time), then proves every frame
    /// arrived once, in order, intact, that nothing was dropped and that every frame came home.
    /// </summary>
    protected async Task TransferAsync(int queues, ConformancePlan plan)
    {
        using var pool = new LeakCheckingPool(Math.Max(2048, 2 * queues * (Capabilities.Window + Burst.Max)), FrameSizeFor(Capabilities.LargestFrame));
        ConformancePair pair = CreatePair(new ConformancePairOptions());
        try
        {
            await TransferAsync(pair, pool.Pool, queues, plan, FromA, FromB);
        }
        finally
        {
            pair.Dispose();
        }
    }

    /// <summary>One lossless transfer over an existing pair (graphs made and disposed here).</summary>
    protected async Task TransferAsync(ConformancePair pair, PacketPool pool, int queues, ConformancePlan plan, uint fromA, uint fromB)
    {
        var a = new EndGraph(pair, PairEnd.A);
        var b = new EndGraph(pair, PairEnd.B);
        try
        {
            for (int q = 0; q < queues; q++)
            {
                uint idA = fromA + (uint)q;
                a.Send(q, new ConformanceSource(idA, plan, pool, () => b.Sink.ReceivedFrom(idA)), b);
                b.Receive(q);
                if (Capabilities.BothWays)
                {
                    uint idB = fromB + (uint)q;
                    b.Send(q, new ConformanceSource(idB, plan, pool, () => a.Sink.ReceivedFrom(idB)), a);
                    a.Receive(q);
                }
            }
            await StartAsync(a, b);
            bool all = await Waits.TryUntil(() => a.Sink.HasAll() && b.Sink.HasAll());
            string state = $"{a.Describe()} | {b.Describe()} | outside drops {pair.DropsOutsideGraphs()}";
            await a.StopAsync();
            await b.StopAsync();
            Assert.True(all, $"not everything arrived: {state}");
            a.Sink.AssertIntact(lossless: true);
            b.Sink.AssertIntact(lossless: true);
            AssertBalanced(a, b);
            Assert.True(a.Dropped + b.Dropped == 0, $"a lossless transfer dropped frames: {state}");
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }

    /// <summary>
    /// Makes both ends' stages before either starts (a kernel drops what arrives before a socket
    /// is there), then starts B (the receiver) before A; a store-and-forward backend's A writes
    /// everything first.
    /// </summary>
    private async Task StartAsync(EndGraph a, EndGraph b)
    {
        if (Capabilities.StoreAndForward)
        {
            await a.RunToEndAsync();
            a.Dispose();
            b.Start();
            return;
        }
        a.Build();
        b.Build();
        b.Start();
        a.Start();
    }

    /// <summary>Waits until <paramref name="value"/> stops changing for a while (bounded).</summary>
    private static async Task Settle(Func<long> value)
    {
        long last = value();
        long stableSince = Environment.TickCount64;
        long deadline = stableSince + (long)Waits.Limit.TotalMilliseconds;
        while (Environment.TickCount64 - stableSince < 300 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20);
            long now = value();
            if (now != last)
            {
                last = now;
                stableSince = Environment.TickCount64;
            }
        }
    }

    /// <summary>Every stage of every built graph balances: in + emitted = out + dropped + consumed + queued.</summary>
    protected static void AssertBalanced(params EndGraph[] ends)
    {
        foreach (EndGraph end in ends)
        {
            try
            {
                GraphStats stats = end.Stats;
                Assert.True(stats.IsBalanced, $"end {end.End} is not balanced: {string.Join("\n", stats.Stages)}");
            }
            catch (InvalidOperationException) when (!end.WasBuilt)
            {
                // Never built (the reading end of a file that was not read).
            }
        }
    }
}
