using System.ComponentModel.DataAnnotations;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Stages.Tests.Routing;

/// <summary>
/// <see cref="Ipv4LookupOptions"/>: the routes a lookup puts in the shared table when it is made
/// (connected, local, static, ECMP groups from entries sharing a prefix), and every mistake
/// refused with the member it is about, as a graph file reports it.
/// </summary>
public sealed class RouteControlConfigurationTests : IDisposable
{
    private readonly Ipv4RouteTable _table = new(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 16 } });

    public void Dispose() => _table.Dispose();

    private static Ipv4LookupOptions Options(params Ipv4StaticRouteOptions[] routes) =>
        new() { Interfaces = RouteControlCommandsTests.Interfaces(), Routes = routes };

    private static string[] Problems(Ipv4LookupOptions options) =>
        [.. options.Validate(new ValidationContext(options)).Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}")];

    private string[] Table() => [.. _table.GetRoutes().Select(r => $"{r.Prefix} {r.Route}")];

    [Fact]
    public void InterfacesGiveConnectedAndLocalRoutesAndEntriesSharingAPrefixAnEcmpGroup()
    {
        Ipv4LookupOptions options = Options(
            new() { Prefix = "0.0.0.0/0", Via = "192.168.100.1" },
            new() { Prefix = "198.51.100.0/24", Via = "192.168.100.1" },
            new() { Prefix = "10.66.0.0/16", Blackhole = true },
            new() { Prefix = "198.51.100.0/24", Via = "192.168.100.3", Weight = 2 },
            new() { Prefix = "10.77.0.0/16", Reject = true },
            new() { Prefix = "203.0.113.0/24", Via = "192.168.1.9", Weight = 5 });
        Assert.Empty(Problems(options));
        using var lookup = new Ipv4Lookup(options, _table);
        Assert.Equal(
        [
            "0.0.0.0/0 via 192.168.100.1 port 1",
            "10.66.0.0/16 blackhole",
            "10.77.0.0/16 reject",
            "192.168.1.0/24 connected port 0",
            "192.168.100.0/24 connected port 1",
            "198.51.100.0/24 multipath via 192.168.100.1 port 1 weight 1, via 192.168.100.3 port 1 weight 2",
            "203.0.113.0/24 multipath via 192.168.1.9 port 0 weight 5",
            "192.168.1.1/32 local port 0",
            "192.168.100.2/32 local port 1",
        ], Table());
    }

    [Fact]
    public void InterfaceIdsArePortsAndA32AddressIsOnlyLocal()
    {
        var options = new Ipv4LookupOptions
        {
            Interfaces =
            [
                new() { Name = "lan", Id = 7, Mac = "02:00:00:00:01:01", Addresses = ["192.168.1.1/24", "10.0.0.1/32"] },
            ],
            Routes = [new() { Prefix = "172.16.0.0/12", Via = "192.168.1.254" }],
        };
        using var lookup = new Ipv4Lookup(options, _table);
        Assert.Equal(["172.16.0.0/12 via 192.168.1.254 port 7", "192.168.1.0/24 connected port 7", "10.0.0.1/32 local port 7", "192.168.1.1/32 local port 7"],
            Table());
    }

    [Fact]
    public void NoOptionsAddNothing()
    {
        using var lookup = new Ipv4Lookup(new Ipv4LookupOptions(), _table);
        Assert.Equal(0, _table.Count);
    }

    [Fact]
    public void EveryMistakeIsNamedByTheMemberItIsAbout()
    {
        Ipv4LookupOptions options = Options(
            new() { Prefix = "10.1.2.3/16", Blackhole = true },
            new() { Prefix = "10.2.0.0/16" },
            new() { Prefix = "10.3.0.0/16", Via = "192.168.100.1", Reject = true },
            new() { Prefix = "10.4.0.0/16", Via = "10.9.9.9" },
            new() { Prefix = "10.5.0.0/16", Via = "192.168.100" },
            new() { Prefix = "10.6.0.0/16", Blackhole = true },
            new() { Prefix = "10.6.0.0/16", Via = "192.168.100.1" },
            new() { Prefix = "10.7.0.0/16", Via = "192.168.100.1" },
            new() { Prefix = "10.7.0.0/16", Via = "192.168.100.1" },
            new() { Prefix = "10.8.0.0/16", Reject = true, Weight = 2 },
            new() { Prefix = "10.9.0.0/16", Via = "192.168.100.1", Weight = 300 },
            new() { Prefix = "192.168.1.0/24", Via = "192.168.100.1" },
            new() { Prefix = "192.168.100.2/32", Blackhole = true },
            new() { Prefix = "10.10.0.0/16", Via = "192.168.100.2" });
        string[] expected =
        [
            "Routes[0].Prefix: prefix '10.1.2.3/16' has host bits set beyond /16; did you mean 10.1.0.0/16?",
            "Routes[1]: route 10.2.0.0/16 has no target: give \"via\": \"<gateway>\", \"blackhole\": true or \"reject\": true",
            "Routes[2]: route 10.3.0.0/16: via, blackhole and reject exclude each other; give one",
            "Routes[3].Via: via 10.9.9.9 is not in a network of the router's interfaces (lan 192.168.1.0/24, wan 192.168.100.0/24)",
            "Routes[4].Via: via '192.168.100' is not an IPv4 address such as 192.168.100.1",
            "Routes[6].Prefix: prefix 10.6.0.0/16 is given twice (first in routes[5]); only entries with via share a prefix, as the paths of an ECMP group",
            "Routes[8].Via: via 192.168.100.1 is given twice for prefix 10.7.0.0/16 (first in routes[7])",
            "Routes[9].Weight: route 10.8.0.0/16: a weight applies to a path via a gateway",
            "Routes[10].Weight: weight 300 is out of range 1 to 256",
            "Routes[11].Prefix: prefix 192.168.1.0/24 is the network of interface 'lan', routed there already",
            "Routes[12].Prefix: prefix 192.168.100.2/32 is an address of the router (interface 'wan'), routed locally already",
            "Routes[13].Via: via 192.168.100.2 is an address of the router (interface 'wan')",
        ];
        Assert.Equal(expected, Problems(options));

        var e = Assert.Throws<RouterConfigurationException>(() => new Ipv4Lookup(options, _table));
        Assert.Equal(expected, e.Errors);
        Assert.Equal(0, _table.Count);
    }

    [Fact]
    public void RoutesViaGatewaysNeedTheInterfacesAndBadInterfacesAreReportedOnce()
    {
        var none = new Ipv4LookupOptions { Routes = [new() { Prefix = "10.0.0.0/8", Via = "192.168.100.1" }, new() { Prefix = "10.1.0.0/16", Blackhole = true }] };
        Assert.Equal(["Routes[0].Via: via 192.168.100.1: a route via a gateway needs the router's 'interfaces' (the same list the other router stages get)"], Problems(none));

        var bad = new Ipv4LookupOptions
        {
            Interfaces =
            [
                new() { Name = "lan", Mac = "02:00:00:00:01:01", Addresses = ["192.168.1.1/24"] },
                new() { Name = "lan2", Mac = "02:00:00:00:01:02", Addresses = ["192.168.1.2/24"] },
                new() { Name = "wan", Mac = "zz", Addresses = ["192.168.100.2/24"] },
            ],
            Routes = [new() { Prefix = "10.0.0.0/8", Via = "192.168.100.1" }],
        };
        Assert.Equal(["Interfaces: interface 'wan': Mac 'zz' is not a MAC address like 02:00:00:00:00:01"], Problems(bad));
        Assert.Equal(["Interfaces: interfaces 'lan' and 'lan2' are both on network 192.168.1.0/24; a network is attached to one interface"],
            Problems(bad with { Interfaces = bad.Interfaces.Take(2).ToArray() }));
    }

    [Fact]
    public void TheRegisteredLookupTakesItsOptionsAndTheSharedTable()
    {
        using ServiceProvider services = new ServiceCollection().AddFlow().AddSingleton(_table).AddFlowRouting().BuildServiceProvider();
        StageRegistration registration = services.GetServices<StageRegistration>().Single(r => r.TypeName == "ipv4_lookup");
        Assert.Equal(typeof(Ipv4LookupOptions), registration.OptionsType);
        using var lookup = (Ipv4Lookup)registration.Create(services, Options(new Ipv4StaticRouteOptions { Prefix = "10.0.0.0/8", Reject = true }));
        Assert.Same(_table, lookup.RouteTable);
        Assert.True(_table.TryGet(Ipv4Prefix.Parse("10.0.0.0/8"), out Ipv4Route route));
        Assert.Equal(Ipv4Route.Reject, route);
        using var plain = (Ipv4Lookup)registration.Create(services, null);
        Assert.Same(_table, plain.RouteTable);
    }
}
