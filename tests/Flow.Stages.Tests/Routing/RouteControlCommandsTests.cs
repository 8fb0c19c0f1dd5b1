using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.Stages.Routing.Internal;
using Xunit;
using static Flow.Stages.Tests.Routing.RouterControlGraph;

namespace Flow.Stages.Tests.Routing;

/// <summary>
/// <c>route show|add|del</c> by hand against a built router graph: what each prints, how the
/// target words parse, what is refused and why, and which lookup answers when there are several
/// (the socket side is in Flow.Hosting.Tests' RouterControlSocketTests).
/// </summary>
public sealed class RouteControlCommandsTests : IDisposable
{
    private readonly Ipv4RouteTable _table = new(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 16 } });

    public void Dispose() => _table.Dispose();

    internal static IReadOnlyList<RouterInterfaceOptions> Interfaces() =>
    [
        new() { Name = "lan", Mac = "02:00:00:00:01:01", Addresses = ["192.168.1.1/24"] },
        new() { Name = "wan", Mac = "02:00:00:00:02:01", Addresses = ["192.168.100.2/24"], Mtu = 1400 },
    ];

    private Ipv4Lookup Lookup(Ipv4RouteTable? table = null, params Ipv4StaticRouteOptions[] routes) =>
        new(new Ipv4LookupOptions { Interfaces = Interfaces(), Routes = routes }, table ?? _table);

    private FlowGraph Graph(params Ipv4StaticRouteOptions[] routes) => Build(new PathOptions(Interfaces(), Lookup(null, routes)));

    private static IControlCommand Verb(string name) => RouteControlCommands.All.Command(name);

    private static IReadOnlyList<EcmpMember> Paths(params (string Gateway, ushort Port, int Weight)[] paths) =>
        [.. paths.Select(p => new EcmpMember(Address(p.Gateway), p.Port, p.Weight))];

    private static Flow.Protocols.Ipv4.Ipv4Address Address(string text) => new(new Flow.Protocols.NetU32(RouteConfiguration.ParseAddress(text)!.Value));

    [Fact]
    public void TheLookupDeclaresTheRouteVerbs()
    {
        IControlledStage lookup = Lookup();
        Assert.Equal(["route add", "route del", "route show"], lookup.ControlCommands.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Same(lookup.ControlCommands, ((IControlledStage)new Ipv4Lookup(_table)).ControlCommands);
        Assert.Equal("route add <prefix> <target...>", "route add " + string.Join(" ", Verb("route add").Arguments.Select(a => a.Usage)));
        ((Ipv4Lookup)lookup).Dispose();
    }

    [Fact]
    public async Task RouteShowListsEveryKindWithGatewayPortAndEcmpWeights()
    {
        using FlowGraph graph = Graph(
            new() { Prefix = "0.0.0.0/0", Via = "192.168.100.1" },
            new() { Prefix = "198.51.100.0/24", Via = "192.168.100.1" },
            new() { Prefix = "198.51.100.0/24", Via = "192.168.100.3", Weight = 3 },
            new() { Prefix = "10.66.0.0/16", Blackhole = true },
            new() { Prefix = "10.77.0.0/16", Reject = true });
        ControlReply reply = await graph.RunAsync(Verb("route show"));
        Assert.Equal(["prefix", "kind", "via", "port", "weight"], reply.Columns);
        Assert.Equal(
        [
            "0.0.0.0/0 via 192.168.100.1 wan -",
            "10.66.0.0/16 blackhole - - -",
            "10.77.0.0/16 reject - - -",
            "192.168.1.0/24 connected - lan -",
            "192.168.100.0/24 connected - wan -",
            "198.51.100.0/24 via 192.168.100.1 wan 1",
            "198.51.100.0/24 via 192.168.100.3 wan 3",
            "192.168.1.1/32 local - lan -",
            "192.168.100.2/32 local - wan -",
        ], reply.Lines());
        Assert.Equal("ipv4_lookup: 8 routes", reply.Message);
    }

    [Fact]
    public async Task RouteShowPagesLongTables()
    {
        using FlowGraph graph = Graph();
        for (int i = 0; i < 5; i++)
        {
            _table.Add(Ipv4Prefix.Parse($"10.{i}.0.0/16"), Ipv4Route.Blackhole);
        }
        ControlReply first = await graph.RunAsync(Verb("route show"), null, ("limit", "3"));
        Assert.Equal(["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"], first.Rows.Select(r => r[0]));
        Assert.Equal("ipv4_lookup: 3 of 9 routes; more from start 3", first.Message);
        ControlReply last = await graph.RunAsync(Verb("route show"), null, ("start", "6"), ("limit", "3"));
        Assert.Equal(["192.168.100.0/24", "192.168.1.1/32", "192.168.100.2/32"], last.Rows.Select(r => r[0]));
        Assert.Equal("ipv4_lookup: 3 of 9 routes", last.Message);
    }

    [Fact]
    public async Task RouteAddAddsReplacesAndSaysWhichThenRouteDelRemoves()
    {
        using FlowGraph graph = Graph();
        Ipv4Prefix prefix = Ipv4Prefix.Parse("198.51.100.0/24");

        ControlReply added = await graph.RunAsync(Verb("route add"), null, ("prefix", "198.51.100.0/24"), ("target", "via 192.168.100.1"));
        Assert.Equal("ipv4_lookup: 198.51.100.0/24 via 192.168.100.1 dev wan: added", added.Message);
        Assert.True(_table.TryGet(prefix, out Ipv4Route route));
        Assert.Equal(Ipv4Route.Via(Address("192.168.100.1"), 1), route);

        ControlReply replaced = await graph.RunAsync(Verb("route add"), null, ("prefix", "198.51.100.0/24"), ("target", "via 192.168.100.1 via 192.168.100.3 weight 2"));
        Assert.Equal("ipv4_lookup: 198.51.100.0/24 via 192.168.100.1 dev wan weight 1 via 192.168.100.3 dev wan weight 2: replaced", replaced.Message);
        Assert.True(_table.TryGet(prefix, out route));
        Assert.Equal(Ipv4Route.Multipath(Paths(("192.168.100.1", 1, 1), ("192.168.100.3", 1, 2))), route);

        ControlReply same = await graph.RunAsync(Verb("route add"), null, ("prefix", "198.51.100.0/24"), ("target", "via 192.168.100.1 weight 1 via 192.168.100.3 weight 2"));
        Assert.Equal("ipv4_lookup: 198.51.100.0/24 via 192.168.100.1 dev wan weight 1 via 192.168.100.3 dev wan weight 2: unchanged (the table had this route already)", same.Message);

        Assert.Equal("ipv4_lookup: 10.0.0.0/8 reject: added",
            (await graph.RunAsync(Verb("route add"), null, ("prefix", "10.0.0.0/8"), ("target", "reject"))).Message);
        Assert.Equal("ipv4_lookup: 172.16.0.0/12 blackhole: added",
            (await graph.RunAsync(Verb("route add"), null, ("prefix", "172.16.0.0/12"), ("target", "blackhole"))).Message);

        ControlReply deleted = await graph.RunAsync(Verb("route del"), null, ("prefix", "198.51.100.0/24"));
        Assert.Equal("ipv4_lookup: deleted 198.51.100.0/24 via 192.168.100.1 dev wan weight 1 via 192.168.100.3 dev wan weight 2", deleted.Message);
        Assert.False(_table.TryGet(prefix, out _));
        Assert.Equal("there is no route for 198.51.100.0/24",
            (await Assert.ThrowsAsync<ControlCommandException>(() => graph.RunAsync(Verb("route del"), null, ("prefix", "198.51.100.0/24")))).Message);
    }

    [Theory]
    [InlineData("via 192.168.100.1", "via 192.168.100.1 port 1")]
    [InlineData("via 192.168.100.1 weight 4", "multipath via 192.168.100.1 port 1 weight 4")]
    [InlineData("  via 192.168.1.20   via 192.168.100.1 ", "multipath via 192.168.1.20 port 0 weight 1, via 192.168.100.1 port 1 weight 1")]
    [InlineData("blackhole", "blackhole")]
    [InlineData("reject", "reject")]
    public void TargetsAreViaGatewaysWithWeightsBlackholeOrReject(string words, string route)
    {
        using var lookup = Lookup();
        Assert.Equal(route, RouteControlCommands.Target(words, lookup.Networks).ToString());
    }

    [Theory]
    [InlineData("", "the route has no target; write route add <prefix> via <gateway> [weight N] [via <gateway> [weight N]]..., route add <prefix> blackhole or route add <prefix> reject")]
    [InlineData("via", "'via' needs a gateway address; write route add <prefix> via <gateway> [weight N] [via <gateway> [weight N]]..., route add <prefix> blackhole or route add <prefix> reject")]
    [InlineData("via 192.168.100", "via '192.168.100' is not an IPv4 address such as 192.168.100.1")]
    [InlineData("via 10.9.9.9", "via 10.9.9.9 is not in a network of the router's interfaces (lan 192.168.1.0/24, wan 192.168.100.0/24)")]
    [InlineData("via 192.168.100.2", "via 192.168.100.2 is an address of the router (interface 'wan')")]
    [InlineData("via 192.168.100.255", "via 192.168.100.255 is the network or broadcast address of interface 'wan' (192.168.100.0/24)")]
    [InlineData("via 192.168.100.1 via 192.168.100.1", "via 192.168.100.1 is given twice")]
    [InlineData("via 192.168.100.1 weight 0", "weight '0' is not a number from 1 to 256")]
    [InlineData("via 192.168.100.1 weight", "weight '' is not a number from 1 to 256")]
    [InlineData("weight 2 via 192.168.100.1", "a weight follows the 'via <gateway>' it is for; write route add <prefix> via <gateway> [weight N] [via <gateway> [weight N]]..., route add <prefix> blackhole or route add <prefix> reject")]
    [InlineData("blackhole via 192.168.100.1", "'blackhole' stands alone: a route is via gateways, blackhole or reject")]
    [InlineData("dev wan", "'dev' is not via, weight, blackhole or reject; write route add <prefix> via <gateway> [weight N] [via <gateway> [weight N]]..., route add <prefix> blackhole or route add <prefix> reject")]
    public void BadTargetsAreRefusedNamingTheWord(string words, string message)
    {
        using var lookup = Lookup();
        Assert.Equal(message, Assert.Throws<ControlCommandException>(() => RouteControlCommands.Target(words, lookup.Networks)).Message);
    }

    [Fact]
    public void ALookupWithoutInterfacesCannotRouteViaAGateway()
    {
        Assert.Equal("via 192.168.100.1: this ipv4_lookup knows no interfaces; give it the router's 'interfaces' to route via gateways",
            Assert.Throws<ControlCommandException>(() => RouteControlCommands.Target("via 192.168.100.1", [])).Message);
        Assert.Equal(Ipv4Route.Blackhole, RouteControlCommands.Target("blackhole", []));
    }

    [Theory]
    [InlineData("10.1.2.3/16", "prefix '10.1.2.3/16' has host bits set beyond /16; did you mean 10.1.0.0/16?")]
    [InlineData("10.0.0.0/33", "prefix '10.0.0.0/33' is not a.b.c.d/len with len 0 to 32")]
    [InlineData("ten/8", "prefix 'ten/8': 'ten' is not an IPv4 address")]
    public async Task BadPrefixesAreRefusedBeforeAnythingChanges(string prefix, string message)
    {
        using FlowGraph graph = Graph();
        int before = _table.Count;
        Assert.Equal(message, Verb("route add").Arguments[0].Value.Check("prefix", prefix));
        Assert.Equal(message, (await Assert.ThrowsAsync<ControlCommandException>(() =>
            graph.RunAsync(Verb("route add"), null, ("prefix", prefix), ("target", "blackhole")))).Message);
        Assert.Equal(before, _table.Count);
    }

    [Fact]
    public async Task ConnectedAndLocalRoutesBelongToTheInterfaces()
    {
        using FlowGraph graph = Graph();
        Assert.Equal("192.168.1.0/24 is the network of interface 'lan' (a connected route); it is not replaced by route commands",
            (await Assert.ThrowsAsync<ControlCommandException>(() => graph.RunAsync(Verb("route add"), null, ("prefix", "192.168.1.0/24"), ("target", "blackhole")))).Message);
        Assert.Equal("192.168.100.2/32 is an address of interface 'wan' (a local route); it is not deleted by route commands",
            (await Assert.ThrowsAsync<ControlCommandException>(() => graph.RunAsync(Verb("route del"), null, ("prefix", "192.168.100.2/32")))).Message);
        Assert.True(_table.TryGet(Ipv4Prefix.Parse("192.168.1.0/24"), out Ipv4Route route));
        Assert.Equal(NextHopKind.Connected, route.Kind);
    }

    [Fact]
    public async Task SeveralLookupsSharingTheTableAnswerOnceAndStageChoosesAmongDifferentOnes()
    {
        using (FlowGraph shared = Build(new PathOptions(Interfaces(), Lookup()), new PathOptions(Interfaces(), Lookup())))
        {
            ControlReply added = await shared.RunAsync(Verb("route add"), null, ("prefix", "203.0.113.0/24"), ("target", "blackhole"));
            Assert.Equal("ipv4_lookup: 203.0.113.0/24 blackhole: added", added.Message);
            Assert.Equal("ipv4_lookup_2: 5 routes", (await shared.RunAsync(Verb("route show"), "ipv4_lookup_2")).Message);
        }

        using var other = new Ipv4RouteTable(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 8 } });
        using FlowGraph apart = Build(new PathOptions(Interfaces(), Lookup()), new PathOptions(Interfaces(), Lookup(other)));
        Assert.Equal("2 stages serve 'route show' ('ipv4_lookup', 'ipv4_lookup_2') with different route tables or interfaces; choose one with --stage <name>",
            (await Assert.ThrowsAsync<ControlCommandException>(() => apart.RunAsync(Verb("route show")))).Message);
        await apart.RunAsync(Verb("route add"), "ipv4_lookup_2", ("prefix", "100.64.0.0/10"), ("target", "reject"));
        Assert.True(other.TryGet(Ipv4Prefix.Parse("100.64.0.0/10"), out _));
        Assert.False(_table.TryGet(Ipv4Prefix.Parse("100.64.0.0/10"), out _));
        Assert.Equal("stage 'eth_classify' does not serve 'route show'; the stages that do are 'ipv4_lookup', 'ipv4_lookup_2'",
            (await Assert.ThrowsAsync<ControlCommandException>(() => apart.RunAsync(Verb("route show"), "eth_classify"))).Message);
    }
}
