using Flow.Stages.Routing;
using Xunit;
using static Flow.Stages.Tests.Routing.RoutingFrames;

namespace Flow.Stages.Tests.Routing;

/// <summary>The control API: route kinds, shared next hops, replace and delete, limits.</summary>
public sealed class Ipv4RouteTableTests : IDisposable
{
    private readonly Ipv4RouteTable _routes = new(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 8 }, MaxNextHops = 8 });

    public void Dispose() => _routes.Dispose();

    private static Ipv4Prefix P(string text) => Ipv4Prefix.Parse(text);

    [Fact]
    public void RoutesViaTheSameGatewayShareOneNextHop()
    {
        _routes.Add(P("10.1.0.0/16"), Ipv4Route.Via(Ip("192.0.2.1"), 1));
        _routes.Add(P("10.2.0.0/16"), Ipv4Route.Via(Ip("192.0.2.1"), 1));
        _routes.Add(P("10.3.0.0/16"), Ipv4Route.Via(Ip("192.0.2.2"), 1));
        Assert.Equal(_routes.Fib.Lookup(A("10.1.0.1")), _routes.Fib.Lookup(A("10.2.0.1")));
        Assert.NotEqual(_routes.Fib.Lookup(A("10.1.0.1")), _routes.Fib.Lookup(A("10.3.0.1")));
        Assert.Equal(3 + 2, _routes.NextHops.Count);
    }

    [Fact]
    public void BlackholeAndRejectUseTheirFixedIds()
    {
        _routes.Add(P("10.66.0.0/16"), Ipv4Route.Blackhole);
        _routes.Add(P("10.77.0.0/16"), Ipv4Route.Reject);
        Assert.Equal(NextHopTable.BlackholeId, _routes.Fib.Lookup(A("10.66.1.1")));
        Assert.Equal(NextHopTable.RejectId, _routes.Fib.Lookup(A("10.77.1.1")));
        Assert.Equal(NextHopKind.Reject, _routes.NextHops[NextHopTable.RejectId].Kind);
    }

    [Fact]
    public void ReplacingAndDeletingReleaseNextHopsForReuse()
    {
        var prefix = P("10.0.0.0/8");
        for (int i = 1; i <= 20; i++)
        {
            // Eight ids (five usable): without release and reclaim the sixth gateway would not fit.
            Assert.NotEqual(FibStatus.NextHopsExhausted, _routes.Add(prefix, Ipv4Route.Via(Ip($"192.0.2.{i}"), 1)));
            Assert.Equal(A($"192.0.2.{i}"), _routes.NextHops[_routes.Fib.Lookup(A("10.9.9.9"))].Gateway);
        }
        Assert.Equal(FibStatus.Deleted, _routes.Delete(prefix));
        Assert.Equal(NextHopTable.NoRoute, _routes.Fib.Lookup(A("10.9.9.9")));
        Assert.Equal(FibStatus.NotFound, _routes.Delete(prefix));
        _routes.Reclaim();
        Assert.Equal(3, _routes.NextHops.Count);
    }

    [Fact]
    public void FullNextHopTableRefusesTheRouteAndKeepsTheOldOne()
    {
        for (int i = 1; i <= 5; i++)
        {
            Assert.Equal(FibStatus.Added, _routes.Add(P($"10.{i}.0.0/16"), Ipv4Route.Via(Ip($"192.0.2.{i}"), 1)));
        }
        Assert.Equal(FibStatus.NextHopsExhausted, _routes.Add(P("10.1.0.0/16"), Ipv4Route.Via(Ip("192.0.2.99"), 1)));
        Assert.True(_routes.TryGet(P("10.1.0.0/16"), out Ipv4Route route));
        Assert.Equal(Ipv4Route.Via(Ip("192.0.2.1"), 1), route);
        Assert.Equal(A("192.0.2.1"), _routes.NextHops[_routes.Fib.Lookup(A("10.1.0.1"))].Gateway);
    }

    [Fact]
    public void Tbl8ExhaustionIsReportedAndReleasesTheNewNextHop()
    {
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(FibStatus.Added, _routes.Add(P($"10.0.{i}.0/25"), Ipv4Route.Blackhole));
        }
        Assert.Equal(FibStatus.Tbl8Exhausted, _routes.Add(P("10.0.99.0/25"), Ipv4Route.Via(Ip("192.0.2.1"), 1)));
        Assert.False(_routes.TryGet(P("10.0.99.0/25"), out _));
        _routes.Reclaim();
        Assert.Equal(3, _routes.NextHops.Count);
    }

    [Fact]
    public void SameRouteAgainIsUnchangedAndShowListsShortestFirst()
    {
        _routes.Add(P("10.0.0.0/8"), Ipv4Route.Connected(1));
        _routes.Add(P("0.0.0.0/0"), Ipv4Route.Via(Ip("192.0.2.1"), 2));
        Assert.Equal(FibStatus.Unchanged, _routes.Add(P("10.0.0.0/8"), Ipv4Route.Connected(1)));
        Assert.Equal([P("0.0.0.0/0"), P("10.0.0.0/8")], _routes.GetRoutes().Select(r => r.Prefix));
    }

    [Fact]
    public void MultipathMembersMustBeDistinctAndFitTheSlots()
    {
        var member = new EcmpMember(Ip("192.0.2.1"), 1);
        Assert.Throws<ArgumentException>(() => Ipv4Route.Multipath(member, member));
        Assert.Throws<ArgumentException>(() => Ipv4Route.Multipath(member with { Weight = 0 }));
        using var small = new Ipv4RouteTable(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 1 }, EcmpSlotBits = 1 });
        Assert.Throws<ArgumentException>(() => small.Add(P("10.0.0.0/8"), Ipv4Route.Multipath(
            member, member with { Gateway = Ip("192.0.2.2") }, member with { Gateway = Ip("192.0.2.3") })));
    }
}
