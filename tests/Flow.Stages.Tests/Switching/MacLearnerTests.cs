using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;
using Flow.Stages.Switching.Internal;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Switching;

public sealed class MacLearnerTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(1024);
    private readonly ManualClock _clock = new();
    private StageHarness _harness;

    public MacLearnerTests()
    {
        _harness = Make(new MacLearnerOptions());
    }

    private MacLearner Learner => (MacLearner)_harness.Stage;

    private StageHarness Make(MacLearnerOptions options)
    {
        var harness = new StageHarness(new MacLearner(options), "learn");
        harness.Tick(_clock.NowNanoseconds);
        return harness;
    }

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    /// <summary>Sends one classified frame src → dst in <paramref name="vlan"/> from port id <paramref name="port"/>; returns its NextHop.</summary>
    private uint Send(ushort port, ushort vlan, MacAddress src, MacAddress dst)
    {
        _harness.Process([_pool.Classified(port, vlan, dst, src, nextHop: 12345)]);
        Packet[] taken = _harness.Take("resolved");
        uint nextHop = Assert.Single(taken).Meta.NextHop;
        _pool.Pool.FreeBulk(taken);
        return nextHop;
    }

    private void Advance(TimeSpan by)
    {
        _clock.Advance(by);
        _harness.Tick(_clock.NowNanoseconds);
    }

    /// <summary>The whole table, page by page, sorted by VLAN then address.</summary>
    private List<MacEntry> Entries()
    {
        var entries = new List<MacEntry>();
        for (int? next = 0; next is int start;)
        {
            MacTablePage page = Learner.GetEntries(start, int.MaxValue);
            entries.AddRange(page.Entries);
            next = page.Next;
        }
        return entries.OrderBy(e => e.Vlan).ThenBy(e => e.Mac.ToString(), StringComparer.Ordinal).ToList();
    }

    /// <summary>Puts <paramref name="count"/> dynamic entries (VLAN 1, port 1, last seen now) straight into the table.</summary>
    private void Fill(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.True(Learner.Table.Insert(MacTable.Key(1, 0x02_0000_0000UL + (ulong)i), 1, _clock.NowNanoseconds, isStatic: false, evictOldest: false, out _) >= 0);
        }
    }

    [Fact]
    public void UnknownUnicastIsMarkedForFlooding() => Assert.Equal(MacLearner.Flood, Send(0, 10, Host(1), Host(2)));

    [Fact]
    public void ALearnedSourceResolvesAsADestination()
    {
        Send(4, 10, Host(2), Host(1));
        Assert.Equal(4u, Send(0, 10, Host(1), Host(2)));
        Assert.Equal(new MacLearnerCounters(2, 2, 0, 0, 0, 0, 0, 1, 1, 0, 0), Learner.GetCounters());
    }

    [Theory]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("01:00:5e:00:00:01")]
    [InlineData("33:33:00:00:00:01")]
    public void GroupDestinationsAreMarkedForFloodingEvenWhenLearnedLookalikesExist(string group)
    {
        byte[] mac = Convert.FromHexString(group.Replace(":", ""));
        Assert.Equal(MacLearner.Flood, Send(0, 10, Host(1), new MacAddress(mac)));
    }

    [Fact]
    public void LearningIsPerVlan()
    {
        Send(1, 10, Host(2), Host(9));
        Send(2, 20, Host(2), Host(9));
        Assert.Equal(1u, Send(0, 10, Host(1), Host(2)));
        Assert.Equal(2u, Send(0, 20, Host(1), Host(2)));
        Assert.Equal(MacLearner.Flood, Send(0, 30, Host(1), Host(2)));
    }

    [Fact]
    public void AnAddressSeenOnAnotherPortMovesThereAndIsCounted()
    {
        Send(1, 10, Host(2), Host(9));
        Send(3, 10, Host(2), Host(9));
        Assert.Equal(3u, Send(0, 10, Host(1), Host(2)));
        Assert.Equal(1, Learner.GetCounters().Moves);
    }

    [Fact]
    public void AStaticEntryNeitherMovesNorAges()
    {
        Learner.AddStatic(10, Host(2), 1);
        Send(3, 10, Host(2), Host(9));
        Advance(TimeSpan.FromHours(1));
        Assert.Equal(1u, Send(0, 10, Host(1), Host(2)));
        Assert.Equal(1, Learner.GetCounters().StaticConflicts);
        Assert.True(Assert.Single(Entries(), e => e.Mac == Host(2)).IsStatic);
    }

    [Fact]
    public void GroupSourcesAreNeverLearned()
    {
        Send(1, 10, MacAddress.Broadcast, Host(9));
        Assert.Equal(0, Learner.Count);
    }

    [Fact]
    public void FramesWithoutAVlanShareVlanZero()
    {
        Packet packet = _pool.On(5, Frame(Host(9), Host(2)));
        _harness.Process([packet]);
        Assert.Equal(0, Assert.Single(Entries()).Vlan);
    }

    [Fact]
    public void DropsRuntFrames()
    {
        _harness.Process([_pool.On(0, new byte[13])]);
        Assert.Equal(1, _harness.Stats.DroppedFor("runt"));
        Assert.Empty(_harness.Output("resolved"));
    }

    [Fact]
    public void EntriesAgeOutAfterTheDefault300Seconds()
    {
        Send(1, 10, Host(2), Host(9));
        Advance(TimeSpan.FromSeconds(299));
        Assert.Equal(1, Learner.Count);
        Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, Learner.Count);
        Assert.Equal(1, Learner.GetCounters().Aged);
        Assert.Equal(MacLearner.Flood, Send(0, 10, Host(1), Host(2)));
    }

    [Fact]
    public void TrafficKeepsAnEntryAlive()
    {
        Send(1, 10, Host(2), Host(9));
        for (int i = 0; i < 5; i++)
        {
            Advance(TimeSpan.FromSeconds(200));
            Send(1, 10, Host(2), Host(9));
        }
        Assert.Equal(1u, Send(0, 10, Host(1), Host(2)));
    }

    [Fact]
    public void TheAgingTimeIsConfigurable()
    {
        _harness.Dispose();
        _harness = Make(new MacLearnerOptions { AgingTime = TimeSpan.FromSeconds(10) });
        Send(1, 10, Host(2), Host(9));
        Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(1, Learner.Count);
        Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, Learner.Count);
    }

    [Fact]
    public void AZeroAgingTimeNeverAges()
    {
        _harness.Dispose();
        _harness = Make(new MacLearnerOptions { AgingTime = TimeSpan.Zero });
        Send(1, 10, Host(2), Host(9));
        Advance(TimeSpan.FromDays(30));
        Assert.Equal(1, Learner.Count);
    }

    [Fact]
    public void ATickChecksAtMostASliceOfALargeTable()
    {
        _harness.Dispose();
        _harness = Make(new MacLearnerOptions { MaxEntries = 1 << 20 });
        Fill(50_000);
        Advance(TimeSpan.FromSeconds(301));
        long aged = Learner.GetCounters().Aged;
        Assert.InRange(aged, 1, MacLearner.MaxSweepSlotsPerTick);
        Assert.Equal(50_000 - aged, Learner.Count);
        // A sweep of the 2^21 slots takes 128 ticks of a full slice each (here one per second).
        for (int i = 0; i < (2 << 20) / MacLearner.MaxSweepSlotsPerTick; i++)
        {
            Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(0, Learner.Count);
        Assert.Equal(50_000, Learner.GetCounters().Aged);
    }

    [Fact]
    public void FrequentShortTicksAgeAnEntryOnTimeAsOneLongOneWould()
    {
        Send(1, 10, Host(2), Host(9));
        for (int i = 0; i < 29_900; i++)
        {
            Advance(TimeSpan.FromMilliseconds(10));
        }
        Assert.Equal(1, Learner.Count); // 299 s
        for (int i = 0; i < 200; i++)
        {
            Advance(TimeSpan.FromMilliseconds(10));
        }
        Assert.Equal(0, Learner.Count); // 301 s: the sweep checks every slot once a second
    }

    [Fact]
    public void EntriesAreReadABoundedSliceAtATimeEachExactlyOnce()
    {
        _harness.Dispose();
        _harness = Make(new MacLearnerOptions { MaxEntries = 1 << 17 });
        Fill(10_000);
        MacTablePage first = Learner.GetEntries(0, int.MaxValue);
        Assert.Equal(MacLearner.MaxSlotsPerRead, first.Next);
        Assert.Equal(10_000, first.Count);
        var seen = new List<MacEntry>(first.Entries);
        for (int? next = first.Next; next is int start;)
        {
            MacTablePage page = Learner.GetEntries(start, 777); // a row limit ends a page early: the next starts after its last row
            Assert.True(page.Entries.Count <= 777);
            seen.AddRange(page.Entries);
            next = page.Next;
        }
        Assert.Equal(10_000, seen.Count);
        Assert.Equal(10_000, seen.Select(e => e.Mac).Distinct().Count());
        Assert.Empty(Learner.GetEntries(0, int.MaxValue, vlan: 2).Entries);
        Assert.Empty(Learner.GetEntries(0, int.MaxValue, portId: 2).Entries);
        Assert.Equal(first.Entries, Learner.GetEntries(0, int.MaxValue, vlan: 1, portId: 1).Entries);
    }

    [Fact]
    public void AFullTableKeepsItsEntriesCountsTheOverflowAndFloods()
    {
        _harness.Dispose();
        _harness = Make(new MacLearnerOptions { MaxEntries = 4 });
        for (int h = 1; h <= 6; h++)
        {
            Send((ushort)h, 10, Host(h), MacAddress.Broadcast);
        }
        Assert.Equal(4, Learner.Count);
        Assert.Equal(2, Learner.GetCounters().Overflows);
        Assert.Equal(MacLearner.Flood, Send(0, 10, Host(100), Host(6)));
        Assert.Equal(1u, Send(0, 10, Host(100), Host(1)));
    }

    [Fact]
    public void ReplaceOldestEvictsTheLeastRecentlySeenEntryOfTheBucket()
    {
        _harness.Dispose();
        _harness = Make(new MacLearnerOptions { MaxEntries = 4, Overflow = MacTableOverflow.ReplaceOldest });
        // Twelve addresses of the same two buckets, so bucket-local eviction is least-recently-seen overall.
        MacTable table = Learner.Table;
        static ulong KeyOf(int h) => MacTable.Key(10, Host(h).ToUInt64());
        (int, int) buckets = (table.BucketOf(KeyOf(1)), table.OtherBucketOf(KeyOf(1)));
        List<int> hosts = Enumerable.Range(1, 10_000)
            .Where(h => (table.BucketOf(KeyOf(h)), table.OtherBucketOf(KeyOf(h))) == buckets).Take(12).ToList();
        foreach (int h in hosts)
        {
            Advance(TimeSpan.FromSeconds(1));
            Send((ushort)h, 10, Host(h), MacAddress.Broadcast);
        }
        MacLearnerCounters counters = Learner.GetCounters();
        Assert.Equal(4, Learner.Count);
        Assert.Equal(0, counters.Overflows);
        Assert.Equal(8, counters.Evictions);
        Assert.Equal((uint)hosts[11], Send(0, 10, Multicast, Host(hosts[11])));
        Assert.Equal((uint)hosts[8], Send(0, 10, Multicast, Host(hosts[8])));
        Assert.Equal(MacLearner.Flood, Send(0, 10, Multicast, Host(hosts[7])));
    }

    [Fact]
    public void TheTableShowsEntriesWithPortAndAge()
    {
        Send(1, 20, Host(2), Host(9));
        Send(3, 10, Host(4), Host(9));
        Advance(TimeSpan.FromSeconds(5));
        IReadOnlyList<MacEntry> entries = Entries();
        Assert.Equal(2, entries.Count);
        Assert.Equal((10, Host(4), (ushort)3), (entries[0].Vlan, entries[0].Mac, entries[0].PortId));
        Assert.Equal(TimeSpan.FromSeconds(5), entries[1].Age);
    }

    [Fact]
    public void FlushRemovesDynamicEntriesByVlanPortOrAll()
    {
        Send(1, 10, Host(1), Host(9));
        Send(2, 10, Host(2), Host(9));
        Send(2, 20, Host(3), Host(9));
        Learner.AddStatic(10, Host(4), 2);
        Assert.Equal(1, Learner.Flush(vlan: 20));
        Assert.Equal(1, Learner.Flush(portId: 2));
        Assert.Equal(1, Learner.Flush());
        Assert.Equal(Host(4), Assert.Single(Entries()).Mac);
        Assert.True(Learner.Remove(10, Host(4)));
        Assert.False(Learner.Remove(10, Host(4)));
    }

    [Fact]
    public void BadStaticEntriesAreRefusedWithTheValuesNamed()
    {
        var e = Assert.Throws<SwitchConfigurationException>(() => Learner.AddStatic(4095, MacAddress.Broadcast, 1));
        Assert.Contains("VLAN 4095 is out of range 1 to 4094", e.Message);
        Assert.Contains("MAC ff:ff:ff:ff:ff:ff is a group address", e.Message);
        Assert.Equal(0, Learner.Count);
    }

    [Fact]
    public void BadOptionsAreRefusedWithTheValuesNamed()
    {
        var e = Assert.Throws<SwitchConfigurationException>(() =>
            new MacLearner(new MacLearnerOptions { MaxEntries = 0, AgingTime = TimeSpan.FromSeconds(-1) }));
        Assert.Contains("MaxEntries 0 is out of range", e.Message);
        Assert.Contains("AgingTime -00:00:01 is negative", e.Message);
    }

    [Fact]
    public void TheTableMatchesADictionaryModelUnderRandomTraffic()
    {
        _harness.Dispose();
        _harness = Make(new MacLearnerOptions { MaxEntries = 100_000 });
        var model = new Dictionary<(ushort, MacAddress), ushort>();
        var random = new Random(8);
        for (int i = 0; i < 20_000; i++)
        {
            ushort vlan = (ushort)random.Next(1, 4);
            ushort port = (ushort)random.Next(0, 8);
            MacAddress src = Host(random.Next(1, 500));
            MacAddress dst = Host(random.Next(1, 500));
            uint expected = model.TryGetValue((vlan, dst), out ushort known) ? known : MacLearner.Flood;
            if (src == dst)
            {
                expected = port;
            }
            model[(vlan, src)] = port;
            Assert.Equal(expected, Send(port, vlan, src, dst));
        }
        Assert.Equal(model.Count, Learner.Count);
    }
    [Fact]
    public void TheTableMatchesADictionaryModelWhenFramesComeInBatchesThatRepeatAddresses()
    {
        // Few hosts, ports and VLANs, and frames that often repeat the one before: within a
        // batch, learning and lookup must still happen frame by frame (moves, first sightings).
        var model = new Dictionary<(ushort, MacAddress), ushort>();
        var random = new Random(13);
        (ushort Port, ushort Vlan, MacAddress Src, MacAddress Dst) frame = (0, 1, Host(1), Host(2));
        for (int batch = 0; batch < 400; batch++)
        {
            var frames = new (ushort Port, ushort Vlan, MacAddress Src, MacAddress Dst)[random.Next(1, 65)];
            for (int i = 0; i < frames.Length; i++)
            {
                if (random.Next(10) >= 6)
                {
                    frame = ((ushort)random.Next(0, 4), (ushort)random.Next(1, 3), Host(random.Next(1, 7)), Host(random.Next(1, 7)));
                }
                frames[i] = frame;
            }
            var expected = new uint[frames.Length];
            for (int i = 0; i < frames.Length; i++)
            {
                (ushort port, ushort vlan, MacAddress src, MacAddress dst) = frames[i];
                model[(vlan, src)] = port;
                expected[i] = model.TryGetValue((vlan, dst), out ushort known) ? known : MacLearner.Flood;
            }

            _harness.Process(frames.Select(f => _pool.Classified(f.Port, f.Vlan, f.Dst, f.Src, nextHop: 12345)).ToArray());
            Packet[] taken = _harness.Take("resolved");

            Assert.Equal(expected, taken.Select(p => p.Meta.NextHop).ToArray());
            _pool.Pool.FreeBulk(taken);
        }
        Assert.Equal(model.Count, Learner.Count);
    }

    [Fact]
    public void EveryFrameOfABatchThatConflictsWithAStaticEntryIsCounted()
    {
        Learner.AddStatic(10, Host(2), 1);

        _harness.Process(Enumerable.Range(0, 5).Select(_ => _pool.Classified(3, 10, Host(9), Host(2), nextHop: 12345)).ToArray());
        _pool.Pool.FreeBulk(_harness.Take("resolved"));

        Assert.Equal(5, Learner.GetCounters().StaticConflicts);
    }
}
