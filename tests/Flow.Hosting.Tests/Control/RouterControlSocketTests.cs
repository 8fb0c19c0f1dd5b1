using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests.Control;

/// <summary>
/// The router's verbs over a real control socket of a running router graph loaded from a graph
/// file (<see cref="RouterTestGraph"/>): what <c>flow ctl ... --json</c> prints is the reply's
/// JSON, read here as a client would. Routes change while the generator's 2000 packets a second
/// flow through the lookup, and the change shows in the lookup's counters.
/// </summary>
public sealed class RouterControlSocketTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowrouterctl-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Dictionary<string, string> NoArgs => [];

    /// <summary>The reply's rows as JSON sent them, each row's cells joined by spaces.</summary>
    private static string[] JsonRows(ControlResponse response)
    {
        using JsonDocument json = JsonDocument.Parse(response.Json);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean(), response.Json);
        return [.. json.RootElement.GetProperty("rows").EnumerateArray().Select(r => string.Join(" ", r.EnumerateArray().Select(c => c.GetString())))];
    }

    private static string[] JsonColumns(ControlResponse response)
    {
        using JsonDocument json = JsonDocument.Parse(response.Json);
        return [.. json.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!)];
    }

    /// <summary>Waits (at most 10 s) until <paramref name="count"/> of the running graph passes <paramref name="above"/>; returns it.</summary>
    private static async Task<long> WaitAboveAsync(FlowGraph graph, Func<GraphStats, long> count, long above, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            long now = count(graph.GetStats());
            if (now > above)
            {
                return now;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"{what} stayed at {count(graph.GetStats())} for 10 s; stats: {graph.GetStats()}");
    }

    [Fact]
    public async Task RoutesAddedAndDeletedThroughTheSocketShowInRouteShowAndInTheTraffic()
    {
        await using ServiceProvider services = RouterTestGraph.Services();
        await using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().LoadText(RouterTestGraph.Json, "router.json");
        graph.Start();
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(Path.Combine(_directory, "router.sock"), graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            static long Forwarded(GraphStats s) => s.Stage("lookup").OutOn("forward");
            static long Blackholed(GraphStats s) => s.Stage("lookup").DroppedFor("blackhole");
            await WaitAboveAsync(graph, Forwarded, 0, "packets the lookup forwarded");

            ControlResponse shown = await client.SendWordsAsync(["route", "show"]);
            Assert.Equal(["prefix", "kind", "via", "port", "weight"], JsonColumns(shown));
            Assert.Equal(
            [
                "0.0.0.0/0 via 192.168.100.1 wan -",
                "10.66.0.0/16 blackhole - - -",
                "10.77.0.0/16 reject - - -",
                "10.0.0.0/24 connected - lan -",
                "192.168.100.0/24 connected - wan -",
                "198.51.100.0/24 via 192.168.100.1 wan 1",
                "198.51.100.0/24 via 192.168.100.3 wan 2",
                "10.0.0.254/32 local - lan -",
                "192.168.100.2/32 local - wan -",
            ], JsonRows(shown));

            // The generator's destination 10.0.0.2 goes to a blackhole: the lookup starts dropping it.
            ControlResponse added = await client.SendWordsAsync(["route", "add", "10.0.0.2/32", "blackhole"]);
            Assert.True(added.Ok, added.Json);
            Assert.Equal("lookup: 10.0.0.2/32 blackhole: added", added.Message);
            long blackholed = await WaitAboveAsync(graph, Blackholed, 0, "packets dropped as blackhole");

            ControlResponse ecmp = await client.SendWordsAsync(["route", "add", "203.0.113.0/24", "via", "192.168.100.1", "via", "192.168.100.3", "weight", "3"]);
            Assert.Equal("lookup: 203.0.113.0/24 via 192.168.100.1 dev wan weight 1 via 192.168.100.3 dev wan weight 3: added", ecmp.Message);
            string[] rows = JsonRows(await client.SendWordsAsync(["route", "show"]));
            Assert.Contains("10.0.0.2/32 blackhole - - -", rows);
            Assert.Contains("203.0.113.0/24 via 192.168.100.1 wan 1", rows);
            Assert.Contains("203.0.113.0/24 via 192.168.100.3 wan 3", rows);

            // Deleted, the /32 gives its address back to the connected /24: forwarding resumes.
            long forwarded = Forwarded(graph.GetStats());
            Assert.Equal("lookup: deleted 10.0.0.2/32 blackhole", (await client.SendWordsAsync(["route", "del", "10.0.0.2/32"])).Message);
            await WaitAboveAsync(graph, Forwarded, forwarded, "packets the lookup forwarded after the delete");
            Assert.True(Blackholed(graph.GetStats()) >= blackholed);
            Assert.True((await client.SendWordsAsync(["route", "del", "203.0.113.0/24"])).Ok);
            rows = JsonRows(await client.SendWordsAsync(["route", "show"]));
            Assert.Equal(9, rows.Length);
            Assert.DoesNotContain(rows, r => r.StartsWith("10.0.0.2/32", StringComparison.Ordinal) || r.StartsWith("203.0.113.0/24", StringComparison.Ordinal));
        }
        await graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
    }

    [Theory]
    [InlineData("route add 203.0.113.0/24 via 10.9.9.9", "via 10.9.9.9 is not in a network of the router's interfaces (lan 10.0.0.0/24, wan 192.168.100.0/24)")]
    [InlineData("route add 10.1.2.3/16 blackhole", "prefix '10.1.2.3/16' has host bits set beyond /16; did you mean 10.1.0.0/16?")]
    [InlineData("route add 203.0.113.0/24", "'route add' needs the argument 'target' (What the route does: via <gateway> [weight N], repeated for an ECMP group; blackhole; or reject). Usage: route add <prefix> <target...>")]
    [InlineData("route add 203.0.113.0/24 via 192.168.100.1 weight heavy", "weight 'heavy' is not a number from 1 to 256")]
    [InlineData("route add 10.0.0.0/24 blackhole", "10.0.0.0/24 is the network of interface 'lan' (a connected route); it is not replaced by route commands")]
    [InlineData("route del 192.168.99.0/24", "there is no route for 192.168.99.0/24")]
    [InlineData("addr show lan", "'addr show' takes no positional arguments; 'lan' is one too many. Usage: addr show")]
    public async Task BadRequestsAreRefusedNamingTheValueAndChangeNothing(string words, string message)
    {
        await using ServiceProvider services = RouterTestGraph.Services();
        await using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().LoadText(
            RouterTestGraph.Json.Replace("\"rate_pps\": 2000", "\"rate_pps\": 100", StringComparison.Ordinal), "router.json");
        graph.Start();
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(Path.Combine(_directory, "router.sock"), graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse refused = await client.SendWordsAsync(words.Split(' '), NoArgs);
            Assert.Equal((ControlErrors.Refused, message), (refused.Error, refused.Message));
            Assert.Equal(9, JsonRows(await client.SendWordsAsync(["route", "show"])).Length);
        }
        await graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AddrAndIcmpShowAnswerFromTheRunningGraphAndHelpListsTheRouterVerbs()
    {
        await using ServiceProvider services = RouterTestGraph.Services();
        await using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().LoadText(RouterTestGraph.Json, "router.json");
        graph.Start();
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(Path.Combine(_directory, "router.sock"), graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse help = await client.SendWordsAsync(["help"]);
            Assert.Equal(["addr show", "capture show", "capture start", "capture stop", "devices", "help", "icmp show", "route add", "route del", "route show", "stages", "stats", "trace show", "trace start", "trace stop"], help.Column("command"));

            ControlResponse addr = await client.SendWordsAsync(["addr", "show"]);
            Assert.Equal(["interface", "port", "address", "mac", "mtu"], JsonColumns(addr));
            Assert.Equal(["lan 0 10.0.0.254/24 02:00:00:00:00:02 1500", "wan 1 192.168.100.2/24 02:00:00:00:02:01 1400"], JsonRows(addr));
            Assert.Equal("input: 2 interfaces, 2 addresses", addr.Message);

            ControlResponse icmp = await client.SendWordsAsync(["icmp", "show"]);
            Assert.Equal(["stage", "what", "name", "value"], JsonColumns(icmp));
            string[] rows = JsonRows(icmp);
            Assert.Contains("icmp limit global_per_second 200", rows);
            Assert.Contains("icmp tokens global 50", rows);
            Assert.Contains("icmp sent time_exceeded 0", rows);
            Assert.Contains("icmp suppressed rate_limited 0", rows);
        }
        await graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
    }
}
