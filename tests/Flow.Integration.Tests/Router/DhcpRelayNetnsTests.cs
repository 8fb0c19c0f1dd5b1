using System.Diagnostics;
using System.Globalization;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// router.json's DHCP server serving a subnet behind a real DHCP relay agent (dnsmasq in relay
/// mode, <see cref="RelayedHosts"/>): busybox udhcpc behind the relay gets an address of the
/// subnet's pool with its mask and router, reaches the router through the relay, renews and
/// releases by unicast (routed, not relayed), and <c>dhcp leases</c> and <c>dhcp show</c> put the
/// lease and counters in that pool. Without a pool for the subnet the relayed requests are dropped.
/// <code>
///  ns client: udhcpc ── 10.9.0.1 [dnsmasq relay] 192.168.1.10 ── lan 192.168.1.1/24 [dhcp_server; subnets 10.9.0.0/24 .100-.199] router.json
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class DhcpRelayNetnsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flow-relay-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Dictionary<string, string> Server(string subnets = """[{"network": "10.9.0.0/24", "range": "10.9.0.100-10.9.0.199"}]""") => new()
    {
        ["lan.dhcp_server.enabled"] = "true",
        ["lan.dhcp_server.range"] = "192.168.1.100-192.168.1.110",
        ["lan.dhcp_server.lease_time"] = "00:10:00",
        ["lan.dhcp_server.dns"] = """["192.168.1.53"]""",
        ["lan.dhcp_server.subnets"] = subnets,
    };

    /// <summary>
    /// The udhcpc script: appends "event ip subnet router dns lease serverid" to a log; on bound
    /// and renew puts the address on the interface and the default route via the router option,
    /// so the client reaches the router (and renews by unicast) through the relay.
    /// </summary>
    private string Script(string log)
    {
        string path = Path.Combine(_directory, "script.sh");
        File.WriteAllText(path, $"""
            #!/bin/sh
            echo "$1 ip=$ip subnet=$subnet router=$router dns=$dns lease=$lease serverid=$serverid" >> {log}
            case "$1" in
              bound|renew)
                ip addr replace "$ip/$subnet" dev "$interface"
                [ -n "$router" ] && ip route replace default via "$router" dev "$interface" ;;
            esac
            exit 0

            """);
        Shell.Run("chmod", "700", path);
        return path;
    }

    private static string Lines(string log) => File.Exists(log) ? File.ReadAllText(log) : "(no script calls)";

    private static async Task<IReadOnlyList<IReadOnlyList<string>>> RowsAsync(RelayedHosts hosts, string command) =>
        (await hosts.Router.ControlAsync(command, new Dictionary<string, string>())).Rows;

    /// <summary>The value of <c>dhcp show</c>'s row <paramref name="name"/> for <paramref name="role"/> (server, or pool &lt;network&gt;).</summary>
    private static string Show(IReadOnlyList<IReadOnlyList<string>> rows, string role, string name) => rows.Single(r => r[1] == role && r[2] == name)[3];

    [Fact]
    public async Task UdhcpcBehindARelayGetsAnAddressOfTheSubnetsPoolAndReachesTheRouterThroughIt()
    {
        using var hosts = new RelayedHosts(Server(), _directory);
        string log = Path.Combine(_directory, "events");

        ShellResult run = hosts.Client.TryExec(TimeSpan.FromSeconds(30), "busybox", "udhcpc", "-f", "-q", "-n", "-i", RelayedHosts.ClientDevice, "-t", "5", "-T", "2",
            "-s", Script(log), "-x", "hostname:farhost");

        Assert.True(run.ExitCode == 0, $"udhcpc exited {run.ExitCode}: {run.StandardError}\n{Lines(log)}\ndnsmasq:\n{hosts.Log}");
        string bound = File.ReadAllLines(log).Single(l => l.StartsWith("bound", StringComparison.Ordinal));
        Assert.Equal("bound ip=10.9.0.100 subnet=255.255.255.0 router=10.9.0.1 dns=192.168.1.53 lease=600 serverid=192.168.1.1", bound);
        Assert.True(RoutedHosts.Ping(hosts.Client, RoutedHosts.LanRouter), "the client pings the router's lan address through the relay");

        IReadOnlyList<string> lease = Assert.Single(await RowsAsync(hosts, "dhcp leases"));
        Assert.Equal(("10.9.0.100", "bound", hosts.ClientMac, "farhost", "10.9.0.0/24"), (lease[1], lease[2], lease[3], lease[5], lease[7]));
        IReadOnlyList<IReadOnlyList<string>> show = await RowsAsync(hosts, "dhcp show");
        Assert.Equal(("10.9.0.100-10.9.0.199", "giaddr", "1", "1", "1"),
            (Show(show, "pool 10.9.0.0/24", "range"), Show(show, "pool 10.9.0.0/24", "router"), Show(show, "pool 10.9.0.0/24", "bound"),
                Show(show, "pool 10.9.0.0/24", "sent_offer"), Show(show, "pool 10.9.0.0/24", "sent_ack")));
        Assert.Equal(("0", "0"), (Show(show, "pool 192.168.1.0/24", "bound"), Show(show, "pool 192.168.1.0/24", "sent_offer")));
        // DISCOVER and REQUEST crossed the relay: dnsmasq logs each request it relays.
        Assert.True(hosts.Log.Split('\n').Count(l => l.EndsWith("DHCP relay at 10.9.0.1 -> 192.168.1.1", StringComparison.Ordinal)) == 2, hosts.Log);
    }

    [Fact]
    public async Task TheClientRenewsAndReleasesByUnicastToTheServerAndTheSubnetsPoolFollows()
    {
        using var hosts = new RelayedHosts(Server(), _directory);
        string log = Path.Combine(_directory, "events");
        Process udhcpc = hosts.Client.Begin("busybox", "udhcpc", "-f", "-i", RelayedHosts.ClientDevice, "-t", "5", "-T", "2", "-s", Script(log));
        try
        {
            await Waits.Until(() => Lines(log).Contains("bound ip=", StringComparison.Ordinal), () => $"udhcpc bound: {Lines(log)}\ndnsmasq:\n{hosts.Log}");
            // What dnsmasq relayed (DISCOVER, REQUEST): the unicast renewal below must add nothing.
            string relayed = hosts.Log;

            // RENEWING (RFC 2131 4.4.5): a unicast REQUEST from 10.9.0.100 to the server, routed
            // through the relay host, not relayed; the ACK is routed back to ciaddr.
            Shell.Run("kill", "-USR1", udhcpc.Id.ToString(CultureInfo.InvariantCulture));
            await Waits.Until(() => Lines(log).Contains("renew ip=10.9.0.100 subnet=255.255.255.0 router=10.9.0.1 ", StringComparison.Ordinal),
                () => $"udhcpc renewed: {Lines(log)}");
            IReadOnlyList<IReadOnlyList<string>> show = await RowsAsync(hosts, "dhcp show");
            Assert.Equal("2", Show(show, "pool 10.9.0.0/24", "sent_ack"));
            Assert.Equal(relayed, hosts.Log);

            Shell.Run("kill", "-USR2", udhcpc.Id.ToString(CultureInfo.InvariantCulture));
            await Waits.Until(async () => (await RowsAsync(hosts, "dhcp leases")).Single()[2] == "free", "the lease freed after udhcpc's release");
            IReadOnlyList<string> lease = (await RowsAsync(hosts, "dhcp leases")).Single();
            Assert.Equal(("10.9.0.100", hosts.ClientMac, "10.9.0.0/24"), (lease[1], lease[3], lease[7]));
        }
        finally
        {
            udhcpc.Kill();
            await udhcpc.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task WithoutAPoolForTheRelaysSubnetTheClientGetsNothingAndTheRequestsAreCounted()
    {
        using var hosts = new RelayedHosts(Server(subnets: "[]"), _directory);
        string log = Path.Combine(_directory, "events");

        ShellResult run = hosts.Client.TryExec(TimeSpan.FromSeconds(30), "busybox", "udhcpc", "-f", "-q", "-n", "-i", RelayedHosts.ClientDevice, "-t", "2", "-T", "1",
            "-s", Script(log));

        Assert.True(run.ExitCode != 0, $"udhcpc got a lease from a server with no pool for its subnet: {Lines(log)}");
        IReadOnlyList<IReadOnlyList<string>> show = await RowsAsync(hosts, "dhcp show");
        Assert.True(long.Parse(Show(show, "server", "drop_other_subnet"), CultureInfo.InvariantCulture) >= 2, $"relayed DISCOVERs dropped\ndnsmasq:\n{hosts.Log}");
        Assert.Empty(await RowsAsync(hosts, "dhcp leases"));
    }
}
