using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Switching;

/// <summary>
/// A sharded mac_learner's copies (issue 18): one table, written by shard 0's copy; the other
/// copies read it and hand what they learn to the writer, flooding meanwhile.
/// </summary>
public sealed class MacLearnerShardTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(4096);
    private readonly ManualClock _clock = new();
    private readonly StageHarness _writer;
    private readonly StageHarness _copy;

    public MacLearnerShardTests()
    {
        var writer = new MacLearner(new MacLearnerOptions { AgingTime = TimeSpan.FromSeconds(10) });
        _writer = new StageHarness(writer, "learn@0");
        _copy = new StageHarness(writer.CopyForShard(1, 2), "learn@1");
        Tick();
    }

    private MacLearner Writer => (MacLearner)_writer.Stage;

    private MacLearner Copy => (MacLearner)_copy.Stage;

    public void Dispose()
    {
        Assert.True(_writer.Stats.IsBalanced, _writer.Stats.ToString());
        Assert.True(_copy.Stats.IsBalanced, _copy.Stats.ToString());
        _writer.Dispose();
        _copy.Dispose();
        _pool.Dispose();
    }

    private void Tick()
    {
        _writer.Tick(_clock.NowNanoseconds);
        _copy.Tick(_clock.NowNanoseconds);
    }

    /// <summary>Sends frames src → dst in VLAN 10 from <paramref name="port"/> through one copy; returns their NextHops.</summary>
    private static uint[] Send(LeakCheckingPool pool, StageHarness harness, ushort port, MacAddress dst, params MacAddress[] sources)
    {
        harness.Process(sources.Select(src => pool.Classified(port, 10, dst, src)).ToArray());
        Packet[] taken = harness.Take("resolved");
        uint[] hops = taken.Select(p => p.Meta.NextHop).ToArray();
        pool.Pool.FreeBulk(taken);
        return hops;
    }

    [Fact]
    public void ACopyHandsANewAddressToTheWriterAndFloodsUntilTheWriterHasIt()
    {
        Send(_pool, _copy, 2, Host(9), Host(1));
        Assert.Equal(1, Copy.GetCounters().HandedOff);
        Assert.Equal(0, Writer.Count);
        // Not published yet: both copies flood frames to it.
        Assert.Equal([MacLearner.Flood], Send(_pool, _copy, 3, Host(1), Host(3)));

        Tick(); // the writer applies both hand-offs (Host(1), then Host(3))
        Assert.Equal(2, Writer.GetCounters().Learned);
        Assert.Equal((ushort)2, Writer.Lookup(10, Host(1)));
        Assert.Equal((ushort)3, Writer.Lookup(10, Host(3)));
        Assert.Equal([2u], Send(_pool, _copy, 3, Host(1), Host(3)));
        // The writer's own frames learn without a hand-off.
        Assert.Equal([2u], Send(_pool, _writer, 4, Host(1), Host(4)));
        Assert.Equal((ushort)4, Writer.Lookup(10, Host(4)));
        Assert.Equal(2, Copy.GetCounters().HandedOff);
        Assert.Equal(0, Copy.GetCounters().Entries);
        Assert.Equal(3, Writer.GetCounters().Entries);
    }

    [Fact]
    public void ACopyAsksForAStationOnceATickNotOnceABatch()
    {
        // A writer that has not run since would otherwise get the same station from every batch.
        for (int batch = 0; batch < 5; batch++)
        {
            Send(_pool, _copy, 2, Host(9), Host(1));
        }
        Assert.Equal(1, Copy.GetCounters().HandedOff);
        Tick();
        Assert.Equal((ushort)2, Writer.Lookup(10, Host(1)));
        Assert.Equal(1, Writer.GetCounters().Learned);
    }

    [Fact]
    public void AMoveSeenByACopyIsAppliedByTheWriter()
    {
        Send(_pool, _writer, 1, Host(9), Host(1));
        Assert.Equal([1u], Send(_pool, _copy, 5, Host(1), Host(5)));
        Send(_pool, _copy, 7, Host(9), Host(1)); // Host(1) now speaks from port 7
        Tick();
        Assert.Equal(1, Writer.GetCounters().Moves);
        Assert.Equal([7u], Send(_pool, _copy, 5, Host(1), Host(5)));
    }

    [Fact]
    public void FramesFromAStaticAddressOnAnotherPortAreCountedByTheCopyAndChangeNothing()
    {
        Writer.AddStatic(10, Host(1), 1);
        Send(_pool, _copy, 6, Host(9), Host(1));
        Tick();
        Assert.Equal(1, Copy.GetCounters().StaticConflicts);
        Assert.Equal(0, Copy.GetCounters().HandedOff);
        Assert.Equal((ushort)1, Writer.Lookup(10, Host(1)));
    }

    [Fact]
    public void AFullHandOffRingIsCountedAndTheAddressesAreAskedForAgain()
    {
        int sources = MacLearner.HandOffCapacity + 100;
        for (int i = 0; i < sources; i += 256)
        {
            Send(_pool, _copy, 2, Host(4000), Enumerable.Range(i, Math.Min(256, sources - i)).Select(n => Host(n)).ToArray());
        }
        MacLearnerCounters copy = Copy.GetCounters();
        Assert.Equal(MacLearner.HandOffCapacity, copy.HandedOff);
        Assert.Equal(100, copy.HandOffsDropped);

        // The writer takes a bounded share per tick; the dropped ones come back with their next frames.
        for (int i = 0; i < MacLearner.HandOffCapacity / MacLearner.MaxHandOffsPerDrain; i++)
        {
            Tick();
        }
        Assert.Equal(MacLearner.HandOffCapacity, Writer.Count);
        Send(_pool, _copy, 2, Host(4000), Enumerable.Range(MacLearner.HandOffCapacity, 100).Select(n => Host(n)).ToArray());
        Tick();
        Assert.Equal(sources, Writer.Count);
    }

    [Fact]
    public void AgingIsTheWritersAndSeesTheCopiesRefreshes()
    {
        Send(_pool, _writer, 1, Host(9), Host(1));
        Send(_pool, _writer, 2, Host(9), Host(2));
        for (int second = 0; second < 15; second++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            Tick();
            Send(_pool, _copy, 1, Host(9), Host(1)); // only Host(1) keeps talking, on the copy's shard
        }
        Assert.Equal((ushort)1, Writer.Lookup(10, Host(1)));
        Assert.Null(Writer.Lookup(10, Host(2)));
        Assert.Equal(1, Writer.GetCounters().Aged);
    }

    [Fact]
    public void TableChangesSentToACopyAreRefusedWithTheReason()
    {
        var e = Assert.Throws<SwitchConfigurationException>(() => Copy.Flush());
        Assert.Contains("another copy writes", e.Message, StringComparison.Ordinal);
        Assert.Throws<SwitchConfigurationException>(() => Copy.AddStatic(10, Host(1), 1));
        Assert.Throws<SwitchConfigurationException>(() => Copy.Remove(10, Host(1)));
        Assert.Same(Writer, Copy.TableWriter);
        Assert.Throws<InvalidOperationException>(() => Copy.CopyForShard(1, 2));
        Assert.Throws<InvalidOperationException>(() => Writer.CopyForShard(1, 2)); // shard 1 has its copy
        Assert.Throws<InvalidOperationException>(() => Writer.CopyForShard(1, 3)); // made for 2 shards
    }
}
