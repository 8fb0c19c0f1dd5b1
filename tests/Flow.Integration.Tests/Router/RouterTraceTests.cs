using Flow.Hosting;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// A packet trace of a real ping through pipelines/router.json on AF_PACKET veths
/// (<see cref="RoutedHosts"/>): the lan host pings 198.51.100.1 beyond the wan host.
/// </summary>
/// <remarks>
/// <code>
///   lan host ─ lan_rx ─ classify ─ ipv4_input ─ ipv4_lookup ─ ipv4_forward ─ forward_hook ─ nat_out ─ ipv4_output ─ arp_resolve ─ wan_tx ─ wan host
/// </code>
/// </remarks>
[Collection(nameof(NetnsCollection))]
public sealed class RouterTraceTests
{
    [Fact]
    public async Task TraceOfAPingThroughTheRouterFollowsTheForwardingPath()
    {
        using var hosts = new RoutedHosts("af_packet");
        string directory = Directory.CreateTempSubdirectory("flowtrace-").FullName;
        try
        {
            // Resolve the neighbours first, so the traced request is forwarded, not held.
            Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.Beyond, count: 1), "the lan host could not ping beyond the router");
            await using ControlEndpoint endpoint = ControlEndpoint.Start(Path.Combine(directory, "r.sock"), hosts.Graph);
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse start = await client.SendWordsAsync(["trace", "start"],
                new Dictionary<string, string> { ["count"] = "1", ["filter"] = $"icmp and src host {RoutedHosts.LanHost}" });
            Assert.True(start.Ok, start.Json);
            Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.Beyond, count: 1), "the lan host could not ping beyond the router while tracing");
            ControlResponse show = null!;
            for (int i = 0; i < 200 && (show is null || !show.Column("stage").Contains("wan_tx")); i++)
            {
                await Task.Delay(25);
                show = await client.SendWordsAsync(["trace", "show"]);
            }
            Assert.True((await client.SendWordsAsync(["trace", "stop"])).Ok);
            string table = string.Join("\n", show.Rows.Select(r => string.Join(" | ", r)));
            Assert.Equal(["lan_rx", "classify", "ipv4_input", "ipv4_lookup", "ipv4_forward", "forward_hook", "nat_out", "ipv4_output", "arp_resolve", "wan_tx"], show.Column("stage"));
            Assert.Equal("wan", show.Column("result")[8]);
            Assert.Equal($"next hop {RoutedHosts.WanHost}", show.Column("note")[8]);
            Assert.Equal("sent", show.Column("result")[9]);
            Assert.Contains($"IPv4 {RoutedHosts.LanHost} > {RoutedHosts.Beyond} ttl 64 ICMP echo-request", show.Column("exit")[0], StringComparison.Ordinal);
            Assert.Contains($"IPv4 {RoutedHosts.LanHost} > {RoutedHosts.Beyond} ttl 63 ICMP echo-request", show.Column("exit")[8], StringComparison.Ordinal);
            Assert.True(show.Rows.All(r => r[0] == "1"), table);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        await hosts.StopAsync();
    }
}
