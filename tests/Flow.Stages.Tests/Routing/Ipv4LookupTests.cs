using Flow.Stages.Icmp;
using Flow.Stages.Routing;
using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Flow.Stages.Tests.Routing.RoutingFrames;

namespace Flow.Stages.Tests.Routing;

/// <summary>One test per port and drop reason of <c>ipv4_lookup</c>, plus ECMP and batch boundaries.</summary>
public sealed class Ipv4LookupTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(1024);
    private readonly Ipv4RouteTable _routes = new(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 64 } });
    private readonly StageHarness _harness;

    public Ipv4LookupTests()
    {
        Add("0.0.0.0/0", Ipv4Route.Via(Ip("203.0.113.1"), 2));
        Add("192.168.1.0/24", Ipv4Route.Connected(1));
        Add("192.168.1.1/32", Ipv4Route.Local(1));
        Add("10.66.0.0/16", Ipv4Route.Blackhole);
        Add("10.77.0.0/16", Ipv4Route.Reject);
        Add("198.18.0.0/15", Ipv4Route.Multipath(new EcmpMember(Ip("192.168.1.10"), 1), new EcmpMember(Ip("192.168.1.11"), 1)));
        _harness = new StageHarness(new Ipv4Lookup(_routes), "lookup");
    }

    private Ipv4Lookup Lookup => (Ipv4Lookup)_harness.Stage;

    private void Add(string prefix, Ipv4Route route) => Assert.Equal(FibStatus.Added, _routes.Add(Ipv4Prefix.Parse(prefix), route));

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _routes.Dispose();
        _pool.Dispose();
    }

    /// <summary>Sends one packet; returns the port it left on (or "drop:reason") and its NextHop.</summary>
    // UserWord of the last packet Send saw leave: the ICMP error request on unreachable.
    private ulong _lastUserWord;

    private (string Where, uint NextHop) Send(Packet packet)
    {
        _harness.Process([packet]);
        foreach (string port in new[] { "forward", "local", "unreachable" })
        {
            Packet[] taken = _harness.Take(port);
            if (taken.Length == 1)
            {
                uint hop = taken[0].Meta.NextHop;
                _lastUserWord = taken[0].Meta.UserWord;
                _pool.Pool.FreeBulk(taken);
                return (port, hop);
            }
        }
        return ("dropped", packet.Meta.NextHop);
    }

    [Fact]
    public void RoutedDestinationLeavesOnForwardWithTheGatewaysNextHop()
    {
        (string where, uint hop) = Send(Make(_pool, A("8.8.8.8")));
        Assert.Equal("forward", where);
        ref readonly NextHop nextHop = ref _routes.NextHops[hop];
        Assert.Equal(NextHopKind.Via, nextHop.Kind);
        Assert.Equal(A("203.0.113.1"), nextHop.Gateway);
        Assert.Equal(2, nextHop.Port);
    }

    [Fact]
    public void ConnectedDestinationLeavesOnForwardWithItsPort()
    {
        (string where, uint hop) = Send(Make(_pool, A("192.168.1.20")));
        Assert.Equal("forward", where);
        Assert.Equal(NextHopKind.Connected, _routes.NextHops[hop].Kind);
        Assert.Equal(1, _routes.NextHops[hop].Port);
    }

    [Fact]
    public void RoutersOwnAddressLeavesOnLocal()
    {
        (string where, uint hop) = Send(Make(_pool, A("192.168.1.1")));
        Assert.Equal("local", where);
        Assert.Equal(NextHopKind.Local, _routes.NextHops[hop].Kind);
    }

    [Fact]
    public void BlackholeRouteDropsWithItsReason()
    {
        Assert.Equal("dropped", Send(Make(_pool, A("10.66.1.1"))).Where);
        Assert.Equal(1, _harness.Stats.DroppedFor("blackhole"));
    }

    [Fact]
    public void RejectRouteLeavesOnUnreachableWithTheRejectId()
    {
        (string where, uint hop) = Send(Make(_pool, A("10.77.1.1")));
        Assert.Equal("unreachable", where);
        Assert.Equal(NextHopTable.RejectId, hop);
        Assert.Equal(IcmpErrorRequest.AdminProhibited, _lastUserWord);
        Assert.Equal(1, Lookup.Rejected);
    }

    [Fact]
    public void NoRouteLeavesOnUnreachableWithNoRoute()
    {
        Assert.Equal(FibStatus.Deleted, _routes.Delete(Ipv4Prefix.Parse("0.0.0.0/0")));
        (string where, uint hop) = Send(Make(_pool, A("8.8.8.8")));
        Assert.Equal("unreachable", where);
        Assert.Equal(NextHopTable.NoRoute, hop);
        Assert.Equal(IcmpErrorRequest.NetUnreachable, _lastUserWord);
        Assert.Equal(1, Lookup.NoRoute);
    }

    [Fact]
    public void HeaderBeyondThePacketIsDroppedAsTruncated()
    {
        Packet packet = Make(_pool, A("8.8.8.8"));
        packet.Meta.L3Offset = 50; // 50 + 20 > 60 bytes
        Assert.Equal("dropped", Send(packet).Where);
        Assert.Equal(1, _harness.Stats.DroppedFor("truncated"));
    }

    [Fact]
    public void EcmpUsesTheBackendsHashWhenItGaveOne()
    {
        uint group = _routes.Fib.Lookup(A("198.18.0.1"));
        for (uint hash = 1; hash < 40; hash++)
        {
            (string where, uint hop) = Send(Make(_pool, A("198.18.0.1"), hash: hash));
            Assert.Equal("forward", where);
            Assert.Equal(_routes.NextHops[group].Member(hash), hop);
        }
        Assert.Equal(0, Lookup.Hashed);
    }

    [Fact]
    public void EcmpKeepsEachFlowOnOneMemberAndSpreadsSixtyFourFlowsOverBoth()
    {
        var memberOf = new Dictionary<ushort, uint>();
        for (int round = 0; round < 3; round++)
        {
            for (ushort port = 1000; port < 1064; port++)
            {
                (string where, uint hop) = Send(Make(_pool, A("198.19.5.5"), sourcePort: port));
                Assert.Equal("forward", where);
                Assert.Equal(NextHopKind.Via, _routes.NextHops[hop].Kind);
                if (!memberOf.TryAdd(port, hop))
                {
                    Assert.Equal(memberOf[port], hop);
                }
            }
        }
        Assert.Equal(2, memberOf.Values.Distinct().Count());
        Assert.Equal(3 * 64, Lookup.Hashed);
    }

    [Fact]
    public void FragmentsOfOneDatagramTakeOneMember()
    {
        // First fragment (MF set) and a later one (offset 185·8) hash without ports, like the whole datagram would.
        uint first = Send(Make(_pool, A("198.18.9.9"), sourcePort: 1111, fragment: 0x2000)).NextHop;
        uint later = Send(Make(_pool, A("198.18.9.9"), sourcePort: 7777, fragment: 185)).NextHop;
        Assert.Equal(first, later);
    }

    [Fact]
    public void BatchesLongerThanTheLookupChunkRouteEveryPacket()
    {
        var packets = new Packet[200];
        for (int i = 0; i < packets.Length; i++)
        {
            packets[i] = Make(_pool, i % 2 == 0 ? A("8.8.8.8") : A("192.168.1.1"));
        }
        _harness.Process(packets);
        Packet[] forward = _harness.Take("forward");
        Packet[] local = _harness.Take("local");
        Assert.Equal(100, forward.Length);
        Assert.Equal(100, local.Length);
        _pool.Pool.FreeBulk(forward);
        _pool.Pool.FreeBulk(local);
    }

    [Fact]
    public void AddFlowRoutingRegistersTheStageWithASharedRouteTable()
    {
        using ServiceProvider services = new ServiceCollection().AddFlow().AddFlowRouting().BuildServiceProvider();
        var registry = services.GetRequiredService<StageRegistry>();
        Assert.True(registry.TryGet("ipv4_lookup", out StageRegistration registration));
        using var first = (Ipv4Lookup)registration.Create(services, null);
        using var second = (Ipv4Lookup)registration.Create(services, null);
        Assert.Equal(["forward", "local", "unreachable"], first.Descriptor.Ports.Select(p => p.Name));
        Assert.Same(services.GetRequiredService<Ipv4RouteTable>(), services.GetRequiredService<Ipv4RouteTable>());
    }
}
