using System.Buffers.Binary;
using Flow.Protocols.Ethernet;
using Flow.Stages.Arp;
using Flow.Stages.Icmp;
using Flow.Stages.Routing;
using Xunit;
using static Flow.Stages.Tests.Arp.ArpRouter;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Arp;

/// <summary>
/// arp_resolve with arp's timers: rewrite, hold queue and its bound, request rate, probes, host
/// unreachable, ageing with a unicast re-probe, /32 routes — all in simulated seconds.
/// </summary>
public sealed class ArpResolverTests : IDisposable
{
    private readonly ArpRouter _router = new();

    public void Dispose() => _router.Dispose();

    private void Learn(MacAddress mac, string address, ushort port = Lan, string own = "10.0.0.1")
    {
        _router.Responder.Process([_router.ArpIn(port, Reply(mac, address, port == Lan ? Router : Mac(WanMac), own))]);
        _router.Table.ApplyRouteChanges();
    }

    private static ushort Tag(byte[] frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(18));

    [Fact]
    public void RewritesTheEthernetHeaderForAResolvedGateway()
    {
        Learn(Gateway, "192.0.2.2", Wan, "192.0.2.1");

        _router.Resolver.Process([_router.Ipv4To("198.51.100.7", tag: 7)]);

        Packet packet = Assert.Single(_router.Resolver.Output("wan"));
        Assert.Equal((0, 14), (packet.Meta.L2Offset, packet.Meta.L3Offset));
        byte[] frame = Assert.Single(TakeBytes(_router.Resolver, "wan"));
        Assert.Equal(Gateway, new MacAddress(frame.AsSpan(0, 6)));
        Assert.Equal(Mac(WanMac), new MacAddress(frame.AsSpan(6, 6)));
        Assert.Equal(EtherType.Ipv4, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
        Assert.Equal(7, Tag(frame));
        Assert.Equal(42, frame.Length);
    }

    [Fact]
    public void HoldsPacketsForAnUnresolvedNeighbourAndSendsThemInOrderOnceItAnswers()
    {
        _router.Resolver.Process([_router.Ipv4To("10.0.0.10", 1), _router.Ipv4To("10.0.0.10", 2), _router.Ipv4To("10.0.0.10", 3)]);
        Assert.Equal(3, _router.Resolver.Stats.Consumed);
        Assert.Equal(NeighbourState.Incomplete, _router.Neighbour("10.0.0.10")!.State);
        Assert.Equal(3, _router.Neighbour("10.0.0.10")!.Held);

        _router.Tick();
        Assert.Equal(["ff:ff:ff:ff:ff:ff 1 10.0.0.1 10.0.0.10 02:00:00:00:01:01"], TakeBytes(_router.Responder, "lan").Skip(1).Select(ArpResponderTests.Fields));
        Learn(Host, "10.0.0.10");
        _router.Resolver.Process([_router.Ipv4To("10.0.0.10", 4)]);

        List<byte[]> sent = TakeBytes(_router.Resolver, "lan");
        Assert.Equal([1, 2, 3, 4], sent.Select(Tag).Select(t => (int)t));
        Assert.All(sent, f => Assert.Equal(Host, new MacAddress(f.AsSpan(0, 6))));
        Assert.Equal(0, _router.Table.HeldCount);
    }

    [Fact]
    public void BoundsTheHoldQueueAt256PacketsAndCountsTheRest()
    {
        Packet[] flood = [.. Enumerable.Range(0, 300).Select(i => _router.Ipv4To("10.0.0.10", (ushort)i))];

        _router.Resolver.Process(flood);

        Assert.Equal(256, _router.Resolver.Stats.Consumed);
        Assert.Equal(44, _router.Resolver.Stats.DroppedFor("hold_full"));
        Assert.Equal(256, _router.Neighbour("10.0.0.10")!.Held);
    }

    [Fact]
    public void SendsAtMostOneRequestPerSecondToADeadAddressUnderAFlood()
    {
        _router.Tick();
        TakeBytes(_router.Responder, "lan");
        var requestTimes = new List<double>();
        // 10 s of a flood: 20 packets every 10 ms (2 kpps), the worker's timers every 10 ms.
        for (int step = 0; step < 1000; step++)
        {
            _router.Resolver.Process([.. Enumerable.Range(0, 20).Select(_ => _router.Ipv4To("10.0.0.99"))]);
            _router.Tick();
            foreach (byte[] _ in TakeBytes(_router.Responder, "lan"))
            {
                requestTimes.Add(_router.Now / 1e9);
            }
            PacketPools.Free(_router.Resolver.Take("unreachable"));
            _router.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(6, requestTimes.Count);
        for (int i = 1; i < requestTimes.Count; i++)
        {
            Assert.True(requestTimes[i] - requestTimes[i - 1] >= 0.999, string.Join(", ", requestTimes));
        }
    }

    [Fact]
    public void AnswersHostUnreachableToEveryHeldPacketAfterThreeUnicastAndThreeBroadcastProbesFail()
    {
        _router.Resolver.Process([_router.Ipv4To("10.0.0.10", 1), _router.Ipv4To("10.0.0.10", 2)]);
        for (int second = 0; second < 6; second++)
        {
            _router.Tick();
            Assert.Empty(_router.Resolver.Output("unreachable"));
            _router.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(6, _router.Arp.RequestsSent);

        _router.Tick();

        Packet[] failed = _router.Resolver.Take("unreachable");
        Assert.Equal([1, 2], failed.Select(p => (int)Tag(p.Data.ToArray())));
        Assert.All(failed, p => Assert.Equal(IcmpErrorRequest.HostUnreachable, p.Meta.UserWord));
        Assert.All(failed, p => Assert.Equal(Gateway, new MacAddress(p.Data.Slice(6, 6))));
        PacketPools.Free(failed);
        Assert.Equal(NeighbourState.Failed, _router.Neighbour("10.0.0.10")!.State);

        _router.Resolver.Process([_router.Ipv4To("10.0.0.10", 3)]);
        Packet late = Assert.Single(_router.Resolver.Take("unreachable"));
        Assert.Equal(IcmpErrorRequest.HostUnreachable, late.Meta.UserWord);
        PacketPools.Free(late);
    }

    [Fact]
    public void ForgetsAFailedNeighbourAfterTheFailedTime()
    {
        _router.Resolver.Process([_router.Ipv4To("10.0.0.10")]);
        for (int second = 0; second <= 6; second++)
        {
            _router.Tick();
            _router.Advance(TimeSpan.FromSeconds(1));
        }
        PacketPools.Free(_router.Resolver.Take("unreachable"));
        _router.Advance(TimeSpan.FromSeconds(58));
        _router.Tick();
        Assert.NotNull(_router.Neighbour("10.0.0.10"));

        _router.Advance(TimeSpan.FromSeconds(1));
        _router.Tick();

        Assert.Null(_router.Neighbour("10.0.0.10"));
    }

    [Fact]
    public void AgesAReachableNeighbourToStaleAndReprobesItUnicastBeforeBroadcastWhenUsed()
    {
        Learn(Host, "10.0.0.10");
        _router.Tick();
        TakeBytes(_router.Responder, "lan");
        _router.Advance(TimeSpan.FromMinutes(20) - TimeSpan.FromSeconds(1));
        _router.Tick();
        Assert.Equal(NeighbourState.Reachable, _router.Neighbour("10.0.0.10")!.State);
        _router.Advance(TimeSpan.FromSeconds(1));
        _router.Tick();
        Assert.Equal(NeighbourState.Stale, _router.Neighbour("10.0.0.10")!.State);

        _router.Resolver.Process([_router.Ipv4To("10.0.0.10", 5)]);
        Assert.Equal([5], TakeBytes(_router.Resolver, "lan").Select(f => (int)Tag(f)));
        Assert.Equal(NeighbourState.Probe, _router.Neighbour("10.0.0.10")!.State);
        var destinations = new List<MacAddress>();
        for (int second = 0; second < 6; second++)
        {
            _router.Tick();
            destinations.AddRange(TakeBytes(_router.Responder, "lan").Select(f => new MacAddress(f.AsSpan(0, 6))));
            _router.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal([Host, Host, Host, MacAddress.Broadcast, MacAddress.Broadcast, MacAddress.Broadcast], destinations);
        _router.Tick();
        Assert.Equal(NeighbourState.Failed, _router.Neighbour("10.0.0.10")!.State);
    }

    [Fact]
    public void AReplyToAReprobeMakesTheNeighbourReachableAgain()
    {
        Learn(Host, "10.0.0.10");
        _router.Advance(TimeSpan.FromMinutes(20));
        _router.Tick();
        _router.Resolver.Process([_router.Ipv4To("10.0.0.10")]);
        _router.Tick();

        Learn(Host, "10.0.0.10");

        Assert.Equal(NeighbourState.Reachable, _router.Neighbour("10.0.0.10")!.State);
    }

    [Fact]
    public void ForgetsAStaleNeighbourNobodyUses()
    {
        Learn(Host, "10.0.0.10");
        _router.Advance(TimeSpan.FromMinutes(20));
        _router.Tick();
        _router.Advance(TimeSpan.FromMinutes(20));
        _router.Tick();
        _router.Table.ApplyRouteChanges();

        Assert.Null(_router.Neighbour("10.0.0.10"));
        Assert.False(_router.Routes.TryGet(new Ipv4Prefix(Host32("10.0.0.10"), 32), out _));
    }

    [Fact]
    public void AResolvedNeighbourOnAConnectedPrefixIsAHostRouteUntilItFails()
    {
        _router.Resolver.Process([_router.Ipv4To("10.0.0.10")]);
        Learn(Host, "10.0.0.10");
        var host = new Ipv4Prefix(Host32("10.0.0.10"), 32);
        Assert.True(_router.Routes.TryGet(host, out Ipv4Route route));
        Assert.Equal(Ipv4Route.Via(Address("10.0.0.10"), Lan), route);
        Assert.Equal(NextHopKind.Via, _router.Routes.NextHops[_router.Routes.Fib.Lookup(Host32("10.0.0.10"))].Kind);
        _router.Tick();

        _router.Advance(TimeSpan.FromMinutes(20));
        _router.Tick();
        _router.Resolver.Process([_router.Ipv4To("10.0.0.10")]);
        for (int second = 0; second <= 6; second++)
        {
            _router.Tick();
            _router.Advance(TimeSpan.FromSeconds(1));
        }
        _router.Table.ApplyRouteChanges();

        Assert.Equal(NeighbourState.Failed, _router.Neighbour("10.0.0.10")!.State);
        Assert.False(_router.Routes.TryGet(host, out _));
        Assert.Equal(NextHopKind.Connected, _router.Routes.NextHops[_router.Routes.Fib.Lookup(Host32("10.0.0.10"))].Kind);
    }

    [Fact]
    public void NeverReplacesAHostRouteTheOperatorMade()
    {
        var host = new Ipv4Prefix(Host32("10.0.0.10"), 32);
        _router.Routes.Add(host, Ipv4Route.Blackhole);

        Learn(Host, "10.0.0.10");

        Assert.True(_router.Routes.TryGet(host, out Ipv4Route route));
        Assert.Equal(Ipv4Route.Blackhole, route);
        Assert.Equal(1, _router.Resolve.GetCounters().HostRoutesSkipped);
    }

    [Fact]
    public void FlushForgetsEveryNeighbourAndFreesWhatWasHeld()
    {
        Learn(Host, "10.0.0.10");
        _router.Resolver.Process([_router.Ipv4To("10.0.0.20"), _router.Ipv4To("10.0.0.20")]);

        Assert.Equal(2, _router.Resolve.FlushNeighbours());
        _router.Table.ApplyRouteChanges();

        Assert.Empty(_router.Resolve.GetNeighbours());
        Assert.Equal(0, _router.Table.HeldCount);
        Assert.Equal(2, _router.Resolve.GetCounters().FlushedHeld);
        Assert.False(_router.Routes.TryGet(new Ipv4Prefix(Host32("10.0.0.10"), 32), out _));
    }

    [Fact]
    public void DropsAPacketWhoseNextHopIsNotViaOrConnected()
    {
        Packet local = _router.Ipv4To("10.0.0.10");
        local.Meta.NextHop = NextHopTable.BlackholeId;
        Packet wild = _router.Ipv4To("10.0.0.10");
        wild.Meta.NextHop = 1_000_000;

        _router.Resolver.Process([local, wild]);

        Assert.Equal(2, _router.Resolver.Stats.DroppedFor("bad_next_hop"));
    }

    [Fact]
    public void DropsWhenTheNeighbourTableIsFull()
    {
        using var small = new ArpRouter(new ArpResponderOptions { MaxNeighbours = 2 });
        small.Resolver.Process([small.Ipv4To("10.0.0.10"), small.Ipv4To("10.0.0.11"), small.Ipv4To("10.0.0.12")]);

        Assert.Equal(1, small.Resolver.Stats.DroppedFor("table_full"));
        Assert.Equal(2, small.Table.Count);
    }

    [Fact]
    public void HasOnePortPerInterfaceAndUnreachable()
    {
        Assert.Equal(["lan", "wan", "unreachable"], _router.Resolve.Descriptor.Ports.Select(p => p.Name));
        Assert.Equal(["lan", "wan"], _router.Arp.Descriptor.Ports.Select(p => p.Name));
    }
}
