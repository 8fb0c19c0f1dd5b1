using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;
using Flow.Stages.Switching.Internal;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Switching;

/// <summary>
/// The MAC table against targeted learning denial (security review 2026-12, M4): a keyed bucket
/// hash, per-port and per-VLAN learning limits, and eviction that hits the ingress port first.
/// </summary>
public sealed class MacTableKeyingTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(256);
    private readonly ManualClock _clock = new();
    private readonly List<StageHarness> _harnesses = [];

    public void Dispose()
    {
        foreach (StageHarness harness in _harnesses)
        {
            Assert.True(harness.Stats.IsBalanced, harness.Stats.ToString());
            harness.Dispose();
        }
        _pool.Dispose();
    }

    private (StageHarness Harness, MacLearner Learner) Make(MacLearnerOptions options)
    {
        var harness = new StageHarness(new MacLearner(options), "learn");
        harness.Tick(_clock.NowNanoseconds);
        _harnesses.Add(harness);
        return (harness, (MacLearner)harness.Stage);
    }

    /// <summary>One frame src → dst in <paramref name="vlan"/> from port id <paramref name="port"/>; returns its NextHop.</summary>
    private uint Send(StageHarness harness, ushort port, ushort vlan, MacAddress src, MacAddress dst)
    {
        harness.Process([_pool.Classified(port, vlan, dst, src, nextHop: 12345)]);
        Packet[] taken = harness.Take("resolved");
        uint nextHop = Assert.Single(taken).Meta.NextHop;
        _pool.Pool.FreeBulk(taken);
        return nextHop;
    }

    private void Advance(StageHarness harness, TimeSpan by)
    {
        _clock.Advance(by);
        harness.Tick(_clock.NowNanoseconds);
    }

    private static ulong KeyOf(ushort vlan, MacAddress mac) => MacTable.Key(vlan, mac.ToUInt64());

    [Fact]
    public void TwoTablesPlaceTheSameKeysInDifferentBuckets()
    {
        var one = new MacTable(8192);
        var other = new MacTable(8192);
        ulong[] keys = Enumerable.Range(1, 64).Select(h => KeyOf(10, Host(h))).ToArray();
        // Equal placements of 64 keys over 2048 buckets by chance: about 2048^-64.
        Assert.NotEqual(keys.Select(one.BucketOf), keys.Select(other.BucketOf));
    }

    [Fact]
    public void EightAddressesSharingTheVictimsBucketUnderTheOldFixedHashNoLongerKeepItFromBeingLearned()
    {
        // What an attacker computed offline against the unkeyed table: the old bucket function
        // (golden-ratio multiplier, 2048 buckets for the default 8192 entries).
        static int OldBucket(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> (64 - 11));
        MacAddress victim = Host(1);
        int target = OldBucket(KeyOf(10, victim));
        MacAddress[] attackers = Enumerable.Range(2, 65_000).Select(h => Host(h))
            .Where(mac => OldBucket(KeyOf(10, mac)) == target).Take(MacTable.Ways).ToArray();
        Assert.Equal(MacTable.Ways, attackers.Length);
        (StageHarness harness, MacLearner learner) = Make(new MacLearnerOptions());

        foreach (MacAddress attacker in attackers)
        {
            Send(harness, 5, 10, attacker, MacAddress.Broadcast);
        }
        Send(harness, 1, 10, victim, MacAddress.Broadcast);

        Assert.Equal(1u, Send(harness, 2, 10, Multicast, victim));
        Assert.Equal(0, learner.GetCounters().Overflows);
    }

    /// <summary>The two buckets a key may live in, as a set.</summary>
    private static (int, int) BucketsOf(MacTable table, ulong key)
    {
        int first = table.BucketOf(key), other = table.OtherBucketOf(key);
        return (Math.Min(first, other), Math.Max(first, other));
    }

    [Fact]
    public void ReplaceOldestEvictsTheIngressPortsOwnEntryBeforeAnotherPorts()
    {
        // A small table (16 buckets), so that addresses sharing both of the victim's buckets are easy to find.
        (StageHarness harness, MacLearner learner) = Make(new MacLearnerOptions { MaxEntries = 64, Overflow = MacTableOverflow.ReplaceOldest });
        MacAddress victim = Enumerable.Range(1, 100).Select(h => Host(h))
            .First(mac => learner.Table.BucketOf(KeyOf(10, mac)) != learner.Table.OtherBucketOf(KeyOf(10, mac)));
        (int, int) buckets = BucketsOf(learner.Table, KeyOf(10, victim));
        MacAddress[] attackers = Enumerable.Range(200, 65_000).Select(h => Host(h))
            .Where(mac => BucketsOf(learner.Table, KeyOf(10, mac)) == buckets).Take((2 * MacTable.Ways) + 2).ToArray();
        Assert.Equal((2 * MacTable.Ways) + 2, attackers.Length);

        Send(harness, 1, 10, victim, MacAddress.Broadcast); // the oldest entry of the two buckets
        foreach (MacAddress attacker in attackers)
        {
            Advance(harness, TimeSpan.FromSeconds(1));
            Send(harness, 5, 10, attacker, MacAddress.Broadcast);
        }

        MacLearnerCounters counters = learner.GetCounters();
        // The buckets held 16: fifteen attackers and the victim, then each new one evicted an old attacker.
        Assert.Equal(3, counters.Evictions);
        Assert.Equal(1u, Send(harness, 2, 10, Multicast, victim));
        Assert.Equal(MacLearner.Flood, Send(harness, 2, 10, Multicast, attackers[0]));
        Assert.Equal(5u, Send(harness, 2, 10, Multicast, attackers[^1]));
    }

    [Fact]
    public void AFullTableHoldsItsLimitOfAddressesHandedOutInSequence()
    {
        // Sequential NIC serials under one OUI differ in a few bits only: each table, with its own
        // keys, still fits every one of them (the key is mixed, and each has two buckets).
        for (int table = 0; table < 20; table++)
        {
            var macs = new MacTable(8192);
            int refused = 0;
            for (int serial = 0; serial < 8192; serial++)
            {
                ulong mac = new MacAddress(0x00, 0x1B, 0x21, (byte)(serial >> 16), (byte)(serial >> 8), (byte)serial).ToUInt64();
                refused += macs.Insert(MacTable.Key(10, mac), 1, 0, isStatic: false, evictOldest: false, out _) < 0 ? 1 : 0;
            }
            Assert.Equal(0, refused);
            Assert.Equal(8192, macs.Count);
        }
    }

    [Fact]
    public void APortAtItsLimitLearnsNoNewAddressAndCountsTheRefusal()
    {
        (StageHarness harness, MacLearner learner) = Make(new MacLearnerOptions { MaxEntriesPerPort = 4 });
        for (int h = 1; h <= 6; h++)
        {
            Send(harness, 7, 10, Host(h), MacAddress.Broadcast);
        }
        Send(harness, 8, 10, Host(100), MacAddress.Broadcast);

        MacLearnerCounters counters = learner.GetCounters();
        Assert.Equal(5, counters.Entries);
        Assert.Equal(2, counters.PortLimited);
        Assert.Equal(0, counters.Overflows);
        Assert.Equal(7u, Send(harness, 8, 10, Host(100), Host(4)));
        Assert.Equal(MacLearner.Flood, Send(harness, 8, 10, Host(100), Host(5)));
        Assert.Equal(8u, Send(harness, 7, 10, Host(1), Host(100)));
    }

    [Fact]
    public void NoAddressMovesOntoAPortAtItsLimit()
    {
        (StageHarness harness, MacLearner learner) = Make(new MacLearnerOptions { MaxEntriesPerPort = 1 });
        Send(harness, 7, 10, Host(1), MacAddress.Broadcast);
        Send(harness, 8, 10, Host(2), MacAddress.Broadcast);
        Send(harness, 7, 10, Host(2), MacAddress.Broadcast); // Host(2) shows up on the full port 7

        Assert.Equal(8u, Send(harness, 9, 10, Host(3), Host(2)));
        Assert.Equal(1, learner.GetCounters().PortLimited);
        Assert.Equal(0, learner.GetCounters().Moves);
    }

    [Fact]
    public void AgedFlushedAndEvictedEntriesGiveTheirPortRoomAgain()
    {
        (StageHarness harness, MacLearner learner) = Make(new MacLearnerOptions { MaxEntriesPerPort = 2, AgingTime = TimeSpan.FromSeconds(10) });
        Send(harness, 7, 10, Host(1), MacAddress.Broadcast);
        Send(harness, 7, 10, Host(2), MacAddress.Broadcast);
        Assert.Equal(2, learner.Flush(portId: 7));
        Send(harness, 7, 10, Host(3), MacAddress.Broadcast);
        Send(harness, 7, 10, Host(4), MacAddress.Broadcast);
        Assert.Equal(2, learner.Count);
        Advance(harness, TimeSpan.FromSeconds(11));
        Assert.Equal(0, learner.Count);
        Send(harness, 7, 10, Host(5), MacAddress.Broadcast);
        learner.AddStatic(10, Host(5), 7); // a static entry replaces the dynamic one: not counted against the port
        Send(harness, 7, 10, Host(6), MacAddress.Broadcast);
        Send(harness, 7, 10, Host(7), MacAddress.Broadcast);
        Assert.Equal(3, learner.Count);
        Assert.Equal(0, learner.GetCounters().PortLimited);
    }

    [Fact]
    public void AVlanAtItsLimitLearnsNoNewAddressAndCountsTheRefusal()
    {
        (StageHarness harness, MacLearner learner) = Make(new MacLearnerOptions { MaxEntriesPerVlan = 3 });
        for (int h = 1; h <= 5; h++)
        {
            Send(harness, (ushort)h, 10, Host(h), MacAddress.Broadcast);
        }
        Send(harness, 1, 20, Host(1), MacAddress.Broadcast);

        MacLearnerCounters counters = learner.GetCounters();
        Assert.Equal(4, counters.Entries);
        Assert.Equal(2, counters.VlanLimited);
        Assert.Equal(MacLearner.Flood, Send(harness, 9, 10, Host(9), Host(4)));
    }

    [Fact]
    public void NegativeLimitsAreRefusedWithTheValuesNamed()
    {
        var e = Assert.Throws<SwitchConfigurationException>(() => new MacLearner(new MacLearnerOptions { MaxEntriesPerPort = -1, MaxEntriesPerVlan = -2 }));
        Assert.Contains("MaxEntriesPerPort -1 is negative; use zero for no limit", e.Message);
        Assert.Contains("MaxEntriesPerVlan -2 is negative; use zero for no limit", e.Message);
    }
}
