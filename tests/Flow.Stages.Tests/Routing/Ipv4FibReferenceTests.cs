using Flow.Stages.Routing;
using Xunit;

namespace Flow.Stages.Tests.Routing;

/// <summary>The FIB against a linear-scan oracle on random route sets, and the edge cases by hand.</summary>
public sealed class Ipv4FibReferenceTests : IDisposable
{
    private readonly Ipv4Fib _fib = new(new Ipv4FibOptions { Tbl8Groups = 4096 });

    public void Dispose() => _fib.Dispose();

    private static Ipv4Prefix P(string text) => Ipv4Prefix.Parse(text);

    private static uint A(string text) => Ipv4Prefix.Parse(text + "/32").Address;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomAddsReplacesAndDeletesMatchTheLinearScan(int seed)
    {
        var random = new Random(seed);
        var reference = new ReferenceLpm();
        var pool = new List<Ipv4Prefix>();
        // Prefixes crowd a few /16s so that they nest: /0–/32 over 10.0.0.0/14 and 192.168.0.0/16.
        for (int i = 0; i < 600; i++)
        {
            int length = random.Next(4) == 0 ? random.Next(0, 33) : random.Next(14, 33);
            uint baseAddress = random.Next(2) == 0 ? 0x0A00_0000u : 0xC0A8_0000u;
            uint address = baseAddress | (uint)random.Next(1 << 18);
            pool.Add(new Ipv4Prefix(address, length));
        }
        for (int step = 0; step < 3000; step++)
        {
            Ipv4Prefix prefix = pool[random.Next(pool.Count)];
            if (reference.Contains(prefix) && random.Next(3) == 0)
            {
                Assert.Equal(FibStatus.Deleted, _fib.Delete(prefix));
                reference.Remove(prefix);
            }
            else
            {
                uint hop = (uint)random.Next(1, 1 << 24);
                FibStatus expected = reference.Contains(prefix) ? FibStatus.Replaced : FibStatus.Added;
                Assert.Equal(expected, _fib.Add(prefix, hop));
                reference.Set(prefix, hop);
            }
            if (step % 500 == 499)
            {
                CheckAgainst(reference, random, pool);
            }
        }
        Assert.Equal(reference.Count, _fib.Count);
        // Deleting everything leaves an empty table and every group back in the free list.
        foreach (Ipv4Prefix prefix in reference.Prefixes.ToList())
        {
            Assert.Equal(FibStatus.Deleted, _fib.Delete(prefix));
            reference.Remove(prefix);
        }
        CheckAgainst(reference, random, pool);
        _fib.Reclaim();
        Assert.Equal(0, _fib.Tbl8GroupsInUse);
    }

    private void CheckAgainst(ReferenceLpm reference, Random random, List<Ipv4Prefix> pool)
    {
        var addresses = new List<uint>();
        foreach (Ipv4Prefix prefix in pool)
        {
            // Both ends of each prefix and one step outside: where off-by-ones live.
            addresses.Add(prefix.Address);
            addresses.Add(prefix.Address + (uint)(prefix.Size - 1));
            addresses.Add(prefix.Address - 1);
            addresses.Add(prefix.Address + (uint)prefix.Size);
        }
        for (int i = 0; i < 2000; i++)
        {
            addresses.Add((uint)random.NextInt64(0, 1L << 32));
            addresses.Add(0x0A00_0000u | (uint)random.Next(1 << 18));
        }
        uint[] batch = [.. addresses];
        var results = new uint[batch.Length];
        _fib.Lookup(batch, results);
        for (int i = 0; i < batch.Length; i++)
        {
            uint expected = reference.Lookup(batch[i]);
            Assert.True(expected == results[i], $"{new Ipv4Prefix(batch[i], 32)}: batched lookup {results[i]}, reference {expected}");
            Assert.Equal(expected, _fib.Lookup(batch[i]));
        }
    }

    [Fact]
    public void DefaultRouteCoversEverythingAndDeletingItLeavesNoRoute()
    {
        Assert.Equal(FibStatus.Added, _fib.Add(P("0.0.0.0/0"), 1));
        Assert.Equal(1u, _fib.Lookup(0));
        Assert.Equal(1u, _fib.Lookup(uint.MaxValue));
        Assert.Equal(FibStatus.Added, _fib.Add(P("10.0.0.0/8"), 2));
        Assert.Equal(2u, _fib.Lookup(A("10.255.255.255")));
        Assert.Equal(FibStatus.Deleted, _fib.Delete(P("0.0.0.0/0")));
        Assert.Equal(Ipv4Fib.NoRoute, _fib.Lookup(A("11.0.0.0")));
        Assert.Equal(2u, _fib.Lookup(A("10.1.2.3")));
    }

    [Fact]
    public void HostRouteWinsOnlyForItsAddress()
    {
        _fib.Add(P("192.0.2.0/24"), 5);
        _fib.Add(P("192.0.2.77/32"), 6);
        Assert.Equal(6u, _fib.Lookup(A("192.0.2.77")));
        Assert.Equal(5u, _fib.Lookup(A("192.0.2.76")));
        Assert.Equal(5u, _fib.Lookup(A("192.0.2.78")));
        Assert.Equal(FibStatus.Deleted, _fib.Delete(P("192.0.2.77/32")));
        Assert.Equal(5u, _fib.Lookup(A("192.0.2.77")));
        // No reader is inside a batch: the emptied group comes straight back.
        _fib.Reclaim();
        Assert.Equal(0, _fib.Tbl8GroupsInUse);
    }

    [Fact]
    public void SlashTwentyFourAndSlashTwentyFiveSplitAtTheBoundary()
    {
        _fib.Add(P("198.51.100.0/24"), 24);
        _fib.Add(P("198.51.100.128/25"), 25);
        Assert.Equal(24u, _fib.Lookup(A("198.51.100.127")));
        Assert.Equal(25u, _fib.Lookup(A("198.51.100.128")));
        Assert.Equal(25u, _fib.Lookup(A("198.51.100.255")));
        Assert.Equal(Ipv4Fib.NoRoute, _fib.Lookup(A("198.51.101.0")));
        Assert.Equal(Ipv4Fib.NoRoute, _fib.Lookup(A("198.51.99.255")));
        // A /24 added after the /25 must not overwrite it; deleting the /24 keeps the /25.
        _fib.Add(P("198.51.100.0/24"), 240);
        Assert.Equal(25u, _fib.Lookup(A("198.51.100.200")));
        Assert.Equal(240u, _fib.Lookup(A("198.51.100.1")));
        _fib.Delete(P("198.51.100.0/24"));
        Assert.Equal(Ipv4Fib.NoRoute, _fib.Lookup(A("198.51.100.1")));
        Assert.Equal(25u, _fib.Lookup(A("198.51.100.129")));
    }

    [Fact]
    public void DeletingASlashTwentyFourUnderASlashSixteenRestoresTheSixteenInItsRange()
    {
        _fib.Add(P("172.16.0.0/16"), 16);
        _fib.Add(P("172.16.5.0/24"), 24);
        Assert.Equal(24u, _fib.Lookup(A("172.16.5.9")));
        _fib.Delete(P("172.16.5.0/24"));
        Assert.Equal(16u, _fib.Lookup(A("172.16.5.9")));
        Assert.Equal(16u, _fib.Lookup(A("172.16.6.9")));
    }

    [Fact]
    public void ShorterPrefixAddedLaterDoesNotHideLongerOnesAndOrderDoesNotMatter()
    {
        // Longest first, then shortest: the same table as the other order.
        _fib.Add(P("10.1.1.0/28"), 28);
        _fib.Add(P("10.1.1.0/24"), 24);
        _fib.Add(P("10.1.0.0/16"), 16);
        _fib.Add(P("10.0.0.0/8"), 8);
        Assert.Equal(28u, _fib.Lookup(A("10.1.1.15")));
        Assert.Equal(24u, _fib.Lookup(A("10.1.1.16")));
        Assert.Equal(16u, _fib.Lookup(A("10.1.2.1")));
        Assert.Equal(8u, _fib.Lookup(A("10.2.0.1")));
        // Delete the middle ones: each range falls to the next shorter prefix.
        _fib.Delete(P("10.1.0.0/16"));
        Assert.Equal(8u, _fib.Lookup(A("10.1.2.1")));
        Assert.Equal(24u, _fib.Lookup(A("10.1.1.200")));
        _fib.Delete(P("10.1.1.0/24"));
        Assert.Equal(8u, _fib.Lookup(A("10.1.1.200")));
        Assert.Equal(28u, _fib.Lookup(A("10.1.1.1")));
        _fib.Delete(P("10.1.1.0/28"));
        Assert.Equal(8u, _fib.Lookup(A("10.1.1.1")));
    }

    [Fact]
    public void ReplaceChangesOnlyThatPrefixsRange()
    {
        _fib.Add(P("10.0.0.0/8"), 1);
        _fib.Add(P("10.9.0.0/16"), 2);
        _fib.Add(P("10.9.9.8/30"), 3);
        Assert.Equal(FibStatus.Replaced, _fib.Add(P("10.9.0.0/16"), 20));
        Assert.Equal(FibStatus.Unchanged, _fib.Add(P("10.9.0.0/16"), 20));
        Assert.Equal(20u, _fib.Lookup(A("10.9.0.1")));
        Assert.Equal(20u, _fib.Lookup(A("10.9.9.7")));
        Assert.Equal(3u, _fib.Lookup(A("10.9.9.8")));
        Assert.Equal(1u, _fib.Lookup(A("10.8.0.1")));
        Assert.True(_fib.TryGet(P("10.9.0.0/16"), out uint hop));
        Assert.Equal(20u, hop);
    }

    [Fact]
    public void DeleteOfAnAbsentPrefixIsNotFoundAndChangesNothing()
    {
        _fib.Add(P("10.0.0.0/8"), 1);
        Assert.Equal(FibStatus.NotFound, _fib.Delete(P("10.0.0.0/9")));
        Assert.Equal(1u, _fib.Lookup(A("10.0.0.1")));
    }

    [Fact]
    public void ExhaustedTbl8GroupsFailTheAddCountItAndLeaveTheTableAsItWas()
    {
        using var fib = new Ipv4Fib(new Ipv4FibOptions { Tbl8Groups = 2 });
        fib.Add(P("10.0.0.0/8"), 8);
        Assert.Equal(FibStatus.Added, fib.Add(P("10.0.1.0/25"), 1));
        Assert.Equal(FibStatus.Added, fib.Add(P("10.0.2.0/25"), 2));
        // A third /24 with a longer prefix needs a third group.
        Assert.Equal(FibStatus.Tbl8Exhausted, fib.Add(P("10.0.3.0/25"), 3));
        Assert.Equal(1, fib.Tbl8Exhausted);
        Assert.False(fib.TryGet(P("10.0.3.0/25"), out _));
        Assert.Equal(8u, fib.Lookup(A("10.0.3.1")));
        Assert.Equal(3, fib.Count);
        // More in a /24 that has a group needs none.
        Assert.Equal(FibStatus.Added, fib.Add(P("10.0.1.128/25"), 4));
        // Once a group is freed (no reader inside a batch), the add succeeds.
        fib.Delete(P("10.0.2.0/25"));
        Assert.Equal(FibStatus.Added, fib.Add(P("10.0.3.0/25"), 3));
        Assert.Equal(3u, fib.Lookup(A("10.0.3.1")));
        Assert.Equal(8u, fib.Lookup(A("10.0.2.1")));
    }

    [Fact]
    public void UnlinkedGroupWaitsWhileAReaderIsInsideABatch()
    {
        using var fib = new Ipv4Fib(new Ipv4FibOptions { Tbl8Groups = 1 });
        using FibReader reader = fib.OpenReader();
        fib.Add(P("10.0.1.0/25"), 1);
        reader.Enter();
        fib.Delete(P("10.0.1.0/25"));
        // The reader may still hold the group: it is not free for another /24.
        Assert.Equal(FibStatus.Tbl8Exhausted, fib.Add(P("10.0.2.0/25"), 2));
        reader.Exit();
        Assert.Equal(FibStatus.Added, fib.Add(P("10.0.2.0/25"), 2));
        Assert.Equal(1, fib.Tbl8GroupsReclaimed);
    }

    [Fact]
    public void PrefixParsingRefusesHostBitsAndBadLengths()
    {
        Assert.Equal(new Ipv4Prefix(0x0A01_0000, 16), P("10.1.0.0/16"));
        Assert.False(Ipv4Prefix.TryParse("10.1.2.3/16", out _, out string? error));
        Assert.Contains("10.1.0.0/16", error);
        Assert.False(Ipv4Prefix.TryParse("10.1.0.0/33", out _, out _));
        Assert.False(Ipv4Prefix.TryParse("10.1.0.0", out _, out _));
        Assert.False(Ipv4Prefix.TryParse("::1/128", out _, out _));
        Assert.Equal("0.0.0.0/0", P("0.0.0.0/0").ToString());
    }
}
