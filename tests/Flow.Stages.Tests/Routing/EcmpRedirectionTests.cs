using Flow.Protocols.Ipv4;
using Flow.Stages.Routing;
using Xunit;

namespace Flow.Stages.Tests.Routing;

public sealed class EcmpRedirectionTests
{
    private static int[] Counts(uint[] slots, params uint[] members) =>
        [.. members.Select(m => slots.Count(s => s == m))];

    [Fact]
    public void EqualWeightsShareTheSlotsEqually()
    {
        var slots = new uint[256];
        Assert.Equal(256, EcmpRedirection.Rebalance(slots, [11, 12, 13, 14], [1, 1, 1, 1]));
        Assert.Equal([64, 64, 64, 64], Counts(slots, 11, 12, 13, 14));
    }

    [Fact]
    public void WeightsSetTheShares()
    {
        var slots = new uint[256];
        EcmpRedirection.Rebalance(slots, [11, 12], [1, 3]);
        Assert.Equal([64, 192], Counts(slots, 11, 12));
        EcmpRedirection.Rebalance(slots, [11, 12, 13], [1, 1, 1]);
        Assert.Equal([86, 85, 85], Counts(slots, 11, 12, 13));
    }

    [Fact]
    public void RemovingAMemberRemapsOnlyItsSlots()
    {
        var slots = new uint[256];
        EcmpRedirection.Rebalance(slots, [11, 12, 13, 14], [1, 1, 1, 1]);
        uint[] before = [.. slots];
        int changed = EcmpRedirection.Rebalance(slots, [11, 12, 14], [1, 1, 1]);
        Assert.Equal(64, changed);
        for (int s = 0; s < slots.Length; s++)
        {
            if (before[s] != 13)
            {
                Assert.Equal(before[s], slots[s]);
            }
            Assert.NotEqual(13u, slots[s]);
        }
        Assert.Equal([86, 85, 85], Counts(slots, 11, 12, 14));
    }

    [Fact]
    public void AddingAMemberTakesOnlyItsShareFromTheOthers()
    {
        var slots = new uint[256];
        EcmpRedirection.Rebalance(slots, [11, 12], [1, 1]);
        uint[] before = [.. slots];
        int changed = EcmpRedirection.Rebalance(slots, [11, 12, 13, 14], [1, 1, 1, 1]);
        Assert.Equal(128, changed);
        Assert.Equal(128, slots.Where((s, i) => s == before[i]).Count());
    }

    [Fact]
    public void EveryMemberGetsASlotWhateverItsWeight()
    {
        var slots = new uint[16];
        EcmpRedirection.Rebalance(slots, [1, 2], [1, 1000]);
        Assert.Equal([1, 15], Counts(slots, 1, 2));
    }

    [Fact]
    public void RouteTableReplacingAMultipathRouteMovesOnlyTheRemovedMembersSlots()
    {
        using var routes = new Ipv4RouteTable(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 16 } });
        var prefix = Ipv4Prefix.Parse("198.18.0.0/15");
        EcmpMember[] four = [.. Enumerable.Range(1, 4).Select(i => new EcmpMember(new Ipv4Address(192, 0, 2, (byte)i), 1))];
        Assert.Equal(FibStatus.Added, routes.Add(prefix, Ipv4Route.Multipath(four)));
        uint group = routes.Fib.Lookup(prefix.Address);
        Assert.Equal(NextHopKind.Multipath, routes.NextHops[group].Kind);
        uint[] before = [.. Enumerable.Range(0, 256).Select(h => routes.NextHops[group].Member((uint)h))];
        uint removed = before.Distinct().Single(id => routes.NextHops[id].Gateway == four[2].Gateway.Value.Host);
        Assert.Equal(FibStatus.Replaced, routes.Add(prefix, Ipv4Route.Multipath([four[0], four[1], four[3]])));
        Assert.Equal(group, routes.Fib.Lookup(prefix.Address));
        int moved = 0;
        for (int h = 0; h < 256; h++)
        {
            uint now = routes.NextHops[group].Member((uint)h);
            if (now != before[h])
            {
                moved++;
                Assert.Equal(removed, before[h]);
            }
        }
        Assert.Equal(64, moved);
    }
}
