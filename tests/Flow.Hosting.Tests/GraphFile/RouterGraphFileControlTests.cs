using Flow.Stages.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests.GraphFile;

/// <summary>
/// The router's interfaces and routes bound from a graph file onto <c>ipv4_lookup</c>'s options
/// (<see cref="Ipv4LookupOptions"/>): what lands in the shared route table, and each mistake
/// reported at the value it is about, with file, line:column and JSON path.
/// </summary>
public sealed class RouterGraphFileControlTests
{
    private static string Errors(string json)
    {
        using ServiceProvider services = RouterTestGraph.Services();
        var e = Assert.Throws<GraphFileException>(() => services.GetRequiredService<GraphFileLoader>().LoadText(json, "router.json"));
        return string.Join("\n", e.Errors.Select(x => x.ToString()));
    }

    [Fact]
    public async Task InterfacesAndRoutesFillTheSharedTable()
    {
        await using ServiceProvider services = RouterTestGraph.Services();
        await using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().LoadText(RouterTestGraph.Json, "router.json");
        Ipv4RouteTable table = services.GetRequiredService<Ipv4RouteTable>();
        Assert.Equal(
        [
            "0.0.0.0/0 via 192.168.100.1 port 1",
            "10.66.0.0/16 blackhole",
            "10.77.0.0/16 reject",
            "10.0.0.0/24 connected port 0",
            "192.168.100.0/24 connected port 1",
            "198.51.100.0/24 multipath via 192.168.100.1 port 1 weight 1, via 192.168.100.3 port 1 weight 2",
            "10.0.0.254/32 local port 0",
            "192.168.100.2/32 local port 1",
        ], table.GetRoutes().Select(r => $"{r.Prefix} {r.Route}"));
        Assert.Same(table, graph.GetStage<Ipv4Lookup>("lookup").RouteTable);
    }

    [Fact]
    public void BadRoutesAreReportedAtTheirValues()
    {
        string json = RouterTestGraph.Json.Replace("\"routes\": \"${routes}\"", """
            "routes": [
                { "prefix": "10.1.2.3/16", "blackhole": true },
                { "prefix": "203.0.113.0/24", "via": "10.9.9.9" },
                { "prefix": "10.66.0.0/16", "blackhole": true },
                { "prefix": "10.66.0.0/16", "reject": true },
                { "prefix": "10.88.0.0/16" }
              ]
            """, StringComparison.Ordinal);
        Assert.Equal("""
            router.json:23:17: $.stages.lookup.config.routes[0].prefix: prefix '10.1.2.3/16' has host bits set beyond /16; did you mean 10.1.0.0/16?
            router.json:24:42: $.stages.lookup.config.routes[1].via: via 10.9.9.9 is not in a network of the router's interfaces (lan 10.0.0.0/24, wan 192.168.100.0/24)
            router.json:26:17: $.stages.lookup.config.routes[3].prefix: prefix 10.66.0.0/16 is given twice (first in routes[2]); only entries with via share a prefix, as the paths of an ECMP group
            router.json:27:5: $.stages.lookup.config.routes[4]: route 10.88.0.0/16 has no target: give "via": "<gateway>", "blackhole": true or "reject": true
            """, Errors(json));
    }

    [Fact]
    public void BadRoutesFromAParameterAreReportedAtTheParametersValue()
    {
        string json = RouterTestGraph.Json.Replace("{ \"prefix\": \"10.77.0.0/16\", \"reject\": true }",
            "{ \"prefix\": \"10.77.0.0/16\", \"via\": \"192.168.100.2\" }", StringComparison.Ordinal);
        Assert.Equal(
            "router.json:13:42: $.stages.lookup.config.routes[4].via: via 192.168.100.2 is an address of the router (interface 'wan')",
            Errors(json));
    }

    [Fact]
    public void BadInterfacesAreReportedAtTheInterfacesOfTheLookup()
    {
        string json = RouterTestGraph.Json.Replace("\"addresses\": [\"192.168.100.2/24\"]", "\"addresses\": [\"10.0.0.253/24\"]", StringComparison.Ordinal);
        string errors = Errors(json);
        Assert.Contains("$.stages.lookup.config.interfaces: interfaces 'lan' and 'wan' are both on network 10.0.0.0/24; a network is attached to one interface", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void AWeightOutsideItsRangeAndAnUnknownKeyAreRefused()
    {
        string json = RouterTestGraph.Json
            .Replace("\"weight\": 2", "\"weight\": 0", StringComparison.Ordinal)
            .Replace("{ \"prefix\": \"10.66.0.0/16\", \"blackhole\": true }", "{ \"prefix\": \"10.66.0.0/16\", \"blackhole\": true, \"metric\": 5 }", StringComparison.Ordinal);
        Assert.Equal("""
            router.json:11:72: $.stages.lookup.config.routes[2].weight: weight 0 is out of range 1 to 256
            router.json:12:54: $.stages.lookup.config.routes[3].metric: unknown config key 'metric' for 'ipv4_static_route_options'; expected one of: prefix, via, weight, blackhole, reject
            """, Errors(json));
    }
}
