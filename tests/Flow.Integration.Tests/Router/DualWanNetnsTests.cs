using System.Globalization;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// pipelines/router-dual-wan.json between Linux hosts (research 1.2 E13, "source in, source
/// out"): ISP1's host on wan (the default route's gateway) and ISP2's host on wan2, neither with
/// a route to the lan, both reaching the same lan service through a port mapping on their own WAN
/// address from an address beyond them (198.51.100.1 and .2 on their loopbacks). ISP2's connections work only if their replies leave by wan2 from wan2's address: the
/// default route would send them to ISP1, whose namespace cannot deliver them. What the hosts'
/// sockets see is the oracle; the router's namespace has no kernel NAT.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class DualWanNetnsTests
{
    private const string Mappings = """
        [{ "protocol": "tcp", "external_port": 8080, "internal": "192.168.1.10:8000" },
         { "protocol": "udp", "external_port": 5353, "internal": "192.168.1.10:5353" }]
        """;

    [Theory]
    [InlineData("af_packet")]
    [InlineData("af_packet:2")] // two shards: both NATs run once, on shard 0, fed by both
    public async Task ConnectionsThatCameInByEitherWanAreAnsweredByItAndNewOnesTakeTheDefaultRoute(string backend)
    {
        Shell.RequireRootAnd("socat");
        using var hosts = new RoutedHosts(backend, new Dictionary<string, string> { ["nat.port_mappings"] = Mappings, ["nat2.port_mappings"] = Mappings }, dualWan: true);
        NetnsFixture isp2 = hosts.Dmz!;
        hosts.Lan.Begin("socat", "TCP-LISTEN:8000,fork,reuseaddr", "SYSTEM:echo inside-$SOCAT_PEERADDR");
        hosts.Lan.Begin("socat", "UDP-RECVFROM:5353,fork", "SYSTEM:echo udp-inside-$SOCAT_PEERADDR");
        hosts.Wan.Begin("socat", "UDP-RECVFROM:7000,fork", "SYSTEM:echo $SOCAT_PEERADDR $SOCAT_PEERPORT");
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.Beyond), "pings from the lan host did not cross wan's NAT");

        // Each ISP's client (beyond its gateway, so routing alone would answer it by wan) reaches
        // the service at its own WAN address and is seen there as itself.
        string isp2Client = $"bind={RoutedHosts.Beyond2}";
        await Waits.Until(() => NatNetnsTests.Send(isp2, $"TCP:{RoutedHosts.Wan2Router}:8080,{isp2Client},connect-timeout=3").Output.Contains("inside-", StringComparison.Ordinal),
            "ISP2's connection through wan2's port mapping to be answered", TimeSpan.FromSeconds(20));
        Assert.Equal($"inside-{RoutedHosts.Beyond2}", NatNetnsTests.Ask(isp2, $"TCP:{RoutedHosts.Wan2Router}:8080,{isp2Client},connect-timeout=5"));
        Assert.Equal($"inside-{RoutedHosts.Beyond}", NatNetnsTests.Ask(hosts.Wan, $"TCP:{RoutedHosts.WanRouter}:8080,bind={RoutedHosts.Beyond},connect-timeout=5"));
        Assert.Equal($"udp-inside-{RoutedHosts.Beyond2}", NatNetnsTests.Ask(isp2, $"UDP:{RoutedHosts.Wan2Router}:5353,{isp2Client}"));
        Assert.Equal($"udp-inside-{RoutedHosts.Beyond}", NatNetnsTests.Ask(hosts.Wan, $"UDP:{RoutedHosts.WanRouter}:5353,bind={RoutedHosts.Beyond}"));
        // A conversation the lan starts takes the default route: wan, from wan's address.
        await Waits.Until(() => NatNetnsTests.Send(hosts.Lan, $"UDP:{RoutedHosts.WanHost}:7000,sourceport=41000").Output.Contains(RoutedHosts.WanRouter, StringComparison.Ordinal),
            "the wan host's UDP server answering", TimeSpan.FromSeconds(15));
        Assert.Equal($"{RoutedHosts.WanRouter} 41000", NatNetnsTests.Ask(hosts.Lan, $"UDP:{RoutedHosts.WanHost}:7000,sourceport=41000"));

        ControlReply sessions2 = await hosts.ControlAsync("nat sessions", new Dictionary<string, string>(), "nat_out2");
        Assert.Contains(sessions2.Rows, r => r[0] == "tcp" && r[1] == $"{RoutedHosts.LanHost}:8000" && r[2] == $"{RoutedHosts.Wan2Router}:8080"
            && r[3].StartsWith(RoutedHosts.Beyond2 + ":", StringComparison.Ordinal));
        Assert.DoesNotContain(sessions2.Rows, r => r[3].StartsWith(RoutedHosts.Beyond + ":", StringComparison.Ordinal));
        ControlReply sessions = await hosts.ControlAsync("nat sessions", new Dictionary<string, string>(), "nat_out");
        Assert.DoesNotContain(sessions.Rows, r => r[3].StartsWith(RoutedHosts.Beyond2 + ":", StringComparison.Ordinal));
        ControlReply show2 = await hosts.ControlAsync("nat show", new Dictionary<string, string>(), "nat_out2");
        Assert.Equal(RoutedHosts.Wan2Host, show2.Rows.Single(r => r[0] == "gateway")[1]);
        Assert.True(long.Parse(show2.Rows.Single(r => r[0] == "steered")[1], CultureInfo.InvariantCulture) >= 4, string.Join("\n", show2.Rows.Select(r => string.Join(" ", r))));

        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(0, stats.Stages.Where(s => s.Name.StartsWith("nat_out", StringComparison.Ordinal)).Sum(s => s.DroppedFor("no_return_route")));
    }
}
