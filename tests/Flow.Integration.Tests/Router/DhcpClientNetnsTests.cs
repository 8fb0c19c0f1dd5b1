using System.Diagnostics;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// router.json with <c>wan.address: "dhcp"</c>: Flow's dhcp_client on the wan port against
/// dnsmasq in the WAN host's namespace, on af_packet veths. dnsmasq's shortest lease is two
/// minutes; T1 10 s and T2 15 s (options 58, 59) make renewal and rebinding quick.
/// <code>
///  ns lan 192.168.1.10 ── lan 192.168.1.1/24 ┐
///                                            router.json
///  ns wan 192.168.100.1 ── wan "dhcp" ───────┘   dnsmasq on the wan host: 192.168.100.2 only, router .1, dns .53
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class DhcpClientNetnsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flow-dnsmasq-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string LeaseFile => Path.Combine(_directory, "dnsmasq.leases");

    private static RoutedHosts Hosts() => new("af_packet", new Dictionary<string, string>
    {
        ["wan.address"] = "dhcp",
        ["routes"] = "[]",
    });

    /// <summary>dnsmasq serving the wan link (no DNS, no ping check before an offer, its log on stderr), by default 192.168.100.2 only.</summary>
    private Process Dnsmasq(RoutedHosts hosts, string range = "192.168.100.2,192.168.100.2", params string[] extra) => hosts.Wan.Begin([
        "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--bind-interfaces",
        $"--interface={hosts.WanDevice}", "--except-interface=lo", $"--dhcp-range={range},255.255.255.0,2m",
        "--dhcp-option=option:router,192.168.100.1", "--dhcp-option=option:dns-server,192.168.100.53", "--dhcp-option=option:T1,10",
        "--dhcp-option=option:T2,15", $"--dhcp-leasefile={LeaseFile}", "--no-ping", "--log-dhcp", "--log-facility=-",
        $"--pid-file={Path.Combine(_directory, "dnsmasq.pid")}", .. extra]);

    private static async Task<Dictionary<string, string>> ClientAsync(RoutedHosts hosts) =>
        (await hosts.ControlAsync("dhcp show", new Dictionary<string, string>())).Rows
            .Where(r => r[1] == "client").ToDictionary(r => r[2], r => r[3], StringComparer.Ordinal);

    private static async Task Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
        }
        await process.WaitForExitAsync();
    }

    /// <summary>The expiry (epoch seconds) dnsmasq's lease file holds for 192.168.100.2, or null.</summary>
    private long? LeaseExpiry()
    {
        if (!File.Exists(LeaseFile))
        {
            return null;
        }
        string? line = File.ReadAllLines(LeaseFile).FirstOrDefault(l => l.Split(' ') is [_, _, "192.168.100.2", ..]);
        return line is null ? null : long.Parse(line.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool HasDefaultRoute(RoutedHosts hosts) =>
        hosts.Routes.TryGet(Ipv4Prefix.Parse("0.0.0.0/0"), out Ipv4Route route) && route.Gateway.ToString() == "192.168.100.1";

    [Fact]
    public async Task TheClientBindsRoutesRenewsAtT1AndReleasesOnAGracefulStop()
    {
        Shell.RequireRootAnd("dnsmasq", "ip", "ping");
        using RoutedHosts hosts = Hosts();
        Process dnsmasq = Dnsmasq(hosts);
        try
        {
            await Waits.Until(async () => (await ClientAsync(hosts))["state"] == "bound", "the client bound");
            Dictionary<string, string> client = await ClientAsync(hosts);
            Assert.Equal(("192.168.100.2/24", "192.168.100.1", "192.168.100.1", "192.168.100.53", "120"),
                (client["address"], client["server"], client["router"], client["dns"], client["lease_time"]));
            Assert.True(HasDefaultRoute(hosts), "default route via 192.168.100.1 installed");
            Assert.True(hosts.Routes.TryGet(Ipv4Prefix.Parse("192.168.100.0/24"), out _), "connected route installed");
            // Every stage took the address up: ARP answers for it and the hosts reach each other through the router.
            Assert.True(RoutedHosts.Ping(hosts.Wan, RoutedHosts.WanRouter), "the wan host pings the leased address");
            Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.WanHost), "the lan host pings the wan host through the router");

            long first = LeaseExpiry() ?? throw new InvalidOperationException("dnsmasq wrote no lease");
            await Waits.Until(() => LeaseExpiry() > first, "a renewal at T1 (10 s) moving the lease's end in dnsmasq's lease file", TimeSpan.FromSeconds(30));
            client = await ClientAsync(hosts);
            Assert.True(int.Parse(client["bound"]) >= 2, string.Join(", ", client));
            Assert.Equal("bound", client["state"]);

            await hosts.StopAsync();
            await Waits.Until(() => LeaseExpiry() is null, "dnsmasq dropping the lease on the client's RELEASE", TimeSpan.FromSeconds(10));
            Assert.False(HasDefaultRoute(hosts), "default route removed with the release");
        }
        finally
        {
            await Stop(dnsmasq);
        }
    }

    [Fact]
    public async Task WithoutTheServerTheClientRebindsAtT2AndAtExpiryRemovesAddressAndRoutesThenBindsAgain()
    {
        Shell.RequireRootAnd("dnsmasq", "ip", "ping");
        using RoutedHosts hosts = Hosts();
        Process dnsmasq = Dnsmasq(hosts);
        try
        {
            await Waits.Until(async () => (await ClientAsync(hosts))["state"] == "bound", "the client bound");
            await Stop(dnsmasq);
            await Waits.Until(async () => (await ClientAsync(hosts))["state"] == "rebinding", "REBINDING at T2 (15 s)", TimeSpan.FromSeconds(30));
            Assert.True(HasDefaultRoute(hosts), "routes stay until the lease expires");

            await Waits.Until(async () => (await ClientAsync(hosts))["expired"] == "1", "the lease expiring at 120 s", TimeSpan.FromSeconds(130));
            Dictionary<string, string> client = await ClientAsync(hosts);
            Assert.Equal("", client["address"]);
            Assert.False(HasDefaultRoute(hosts), "default route removed at expiry");
            Assert.False(hosts.Routes.TryGet(Ipv4Prefix.Parse("192.168.100.0/24"), out _), "connected route removed at expiry");
            Assert.False(RoutedHosts.Ping(hosts.Wan, RoutedHosts.WanRouter, count: 1), "the expired address answers no more");

            dnsmasq = Dnsmasq(hosts);
            await Waits.Until(async () => (await ClientAsync(hosts))["state"] == "bound", "bound again once dnsmasq is back", TimeSpan.FromSeconds(90));
            Assert.True(HasDefaultRoute(hosts), "default route back");
        }
        finally
        {
            await Stop(dnsmasq);
        }
    }

    [Fact]
    public async Task AnAddressAnotherHostAlreadyUsesIsDeclinedAndTheClientBindsTheServersNextOffer()
    {
        Shell.RequireRootAnd("dnsmasq", "ip");
        using RoutedHosts hosts = Hosts();
        // The WAN host already uses 192.168.100.2, which dnsmasq (told not to ping first) offers
        // the router's MAC; its pool otherwise holds 192.168.100.3 only. Linux answers the
        // router's ARP probe for .2 (RFC 5227 probe: sender 0.0.0.0).
        hosts.Wan.Exec("ip", "addr", "add", "192.168.100.2/24", "dev", hosts.WanDevice);
        Process dnsmasq = Dnsmasq(hosts, "192.168.100.3,192.168.100.3", "--dhcp-host=02:00:00:00:02:01,192.168.100.2");
        Task<string> log = dnsmasq.StandardError.ReadToEndAsync();
        try
        {
            await Waits.Until(async () => (await ClientAsync(hosts))["state"] == "bound", "the client bound after declining .2 (ten seconds' wait)", TimeSpan.FromSeconds(60));
            Dictionary<string, string> client = await ClientAsync(hosts);
            Assert.Equal(("192.168.100.3/24", "1", "1", "1"), (client["address"], client["address_claimed"], client["sent_decline"], client["bound"]));
            Assert.True(int.Parse(client["sent_arp_probe"]) >= 3, string.Join(", ", client));
            Assert.True(RoutedHosts.Ping(hosts.Wan, "192.168.100.3"), "the wan host pings the address the router took");
        }
        finally
        {
            await Stop(dnsmasq);
        }
        string dhcp = await log;
        Assert.Contains("DHCPDECLINE", dhcp, StringComparison.Ordinal);
        Assert.Contains("192.168.100.2", dhcp.Split('\n').First(l => l.Contains("DHCPDECLINE", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterAStopWithoutReleaseTheRestartedRouterAsksForItsLeaseAgainWithoutADiscover()
    {
        Shell.RequireRootAnd("dnsmasq", "ip");
        string clientLease = Path.Combine(_directory, "wan.lease");
        var parameters = new Dictionary<string, string>
        {
            ["wan.address"] = "dhcp",
            ["routes"] = "[]",
            ["wan.dhcp_client.lease_file"] = $"\"{clientLease}\"",
        };
        using (RoutedHosts first = new("af_packet", parameters))
        {
            Process dnsmasq = Dnsmasq(first);
            try
            {
                await Waits.Until(async () => (await ClientAsync(first))["state"] == "bound", "the client bound");
                // As a crash would leave it: no RELEASE, the lease stays in both files.
                await first.Graph.StopAsync(drain: false);
            }
            finally
            {
                await Stop(dnsmasq);
            }
        }
        Assert.Contains("\"192.168.100.2\"", File.ReadAllText(clientLease), StringComparison.Ordinal);

        using RoutedHosts second = new("af_packet", parameters);
        Process again = Dnsmasq(second);
        Task<string> log = again.StandardError.ReadToEndAsync();
        try
        {
            await Waits.Until(async () => (await ClientAsync(second))["state"] == "bound", "the restarted client bound", TimeSpan.FromSeconds(30));
            Dictionary<string, string> client = await ClientAsync(second);
            Assert.Equal(("192.168.100.2/24", "0"), (client["address"], client["sent_discover"]));
        }
        finally
        {
            await Stop(again);
        }
        string dhcp = await log;
        Assert.Contains("DHCPREQUEST", dhcp, StringComparison.Ordinal);
        Assert.DoesNotContain("DHCPDISCOVER", dhcp, StringComparison.Ordinal);
    }
}
