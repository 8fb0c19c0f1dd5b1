using System.Diagnostics;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// router.json's DHCP server (lan.dhcp_server) against busybox udhcpc in the LAN host's
/// namespace, on af_packet veths: the address, options and lease udhcpc reports to its script,
/// a requested address (<c>-r</c>), renew (SIGUSR1) and release (SIGUSR2), each checked in the
/// server's lease table through <c>dhcp leases</c>, and exactly one reply per request on the wire.
/// <code>
///  ns lan: busybox udhcpc on the veth ─── lan 192.168.1.1/24 [dhcp_server 192.168.1.100-110] router.json
/// </code>
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class DhcpServerNetnsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flow-udhcpc-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static RoutedHosts Hosts(string? leaseFile = null) => new("af_packet", new Dictionary<string, string>
    {
        ["lan.dhcp_server.enabled"] = "true",
        ["lan.dhcp_server.range"] = "192.168.1.100-192.168.1.110",
        ["lan.dhcp_server.lease_time"] = "00:10:00",
        ["lan.dhcp_server.dns"] = """["192.168.1.53"]""",
        ["lan.dhcp_server.lease_file"] = leaseFile is null ? "null" : $"\"{leaseFile}\"",
    });

    /// <summary>
    /// The udhcpc script: appends "event ip subnet router dns lease serverid" to a log, and on
    /// bound and renew puts the address on the interface (a renewing udhcpc sends from it).
    /// </summary>
    private string Script(string log)
    {
        string path = Path.Combine(_directory, "script.sh");
        File.WriteAllText(path, $"""
            #!/bin/sh
            echo "$1 ip=$ip subnet=$subnet router=$router dns=$dns lease=$lease serverid=$serverid" >> {log}
            case "$1" in
              bound|renew) ip addr replace "$ip/$subnet" dev "$interface" ;;
            esac
            exit 0

            """);
        Shell.Run("chmod", "700", path);
        return path;
    }

    private static async Task<IReadOnlyList<IReadOnlyList<string>>> LeasesAsync(RoutedHosts hosts) =>
        (await hosts.ControlAsync("dhcp leases", new Dictionary<string, string>())).Rows;

    /// <summary>lan's MAC (router.json's default).</summary>
    private const string RouterMac = "02:00:00:00:01:01";

    private static string Mac(RoutedHosts hosts) => hosts.Lan.Exec("cat", $"/sys/class/net/{hosts.LanDevice}/address").Trim();

    private static string Lines(string log) => File.Exists(log) ? File.ReadAllText(log) : "(no script calls)";

    [Fact]
    public async Task UdhcpcGetsAnAddressFromTheRangeWithRouterDnsAndLease()
    {
        Shell.RequireRootAnd("busybox", "ip");
        using RoutedHosts hosts = Hosts();
        string log = Path.Combine(_directory, "events");
        ShellResult run = hosts.Lan.TryExec(TimeSpan.FromSeconds(30), "busybox", "udhcpc", "-f", "-q", "-n", "-i", hosts.LanDevice, "-t", "5", "-T", "2",
            "-s", Script(log), "-x", "hostname:lanhost");
        Assert.True(run.ExitCode == 0, $"udhcpc exited {run.ExitCode}: {run.StandardError}\n{Lines(log)}");
        string bound = File.ReadAllLines(log).Single(l => l.StartsWith("bound", StringComparison.Ordinal));
        Assert.Equal("bound ip=192.168.1.100 subnet=255.255.255.0 router=192.168.1.1 dns=192.168.1.53 lease=600 serverid=192.168.1.1", bound);

        IReadOnlyList<string> lease = Assert.Single(await LeasesAsync(hosts));
        Assert.Equal(("192.168.1.100", "bound", Mac(hosts), "lanhost"), (lease[1], lease[2], lease[3], lease[5]));
    }

    [Fact]
    public async Task TwoClientsGetDifferentAddressesAndAThirdFindsTheRangeExhausted()
    {
        Shell.RequireRootAnd("busybox", "ip");
        using RoutedHosts hosts = new("af_packet", new Dictionary<string, string>
        {
            ["lan.dhcp_server.enabled"] = "true",
            ["lan.dhcp_server.range"] = "192.168.1.100-192.168.1.101",
        });
        // Two more clients on the LAN host's link, each with a MAC of its own (macvlan on its veth).
        string[] devices = [hosts.LanDevice, "mv1", "mv2"];
        for (int i = 1; i < devices.Length; i++)
        {
            hosts.Lan.Exec("ip", "link", "add", "link", hosts.LanDevice, "name", devices[i], "type", "macvlan", "mode", "bridge");
            hosts.Lan.Exec("ip", "link", "set", devices[i], "up");
        }
        var got = new List<string>();
        for (int i = 0; i < devices.Length; i++)
        {
            string log = Path.Combine(_directory, $"events{i}");
            ShellResult run = hosts.Lan.TryExec(TimeSpan.FromSeconds(30), "busybox", "udhcpc", "-f", "-q", "-n", "-i", devices[i], "-t", "3", "-T", "1",
                "-s", Script(log));
            if (i < 2)
            {
                Assert.True(run.ExitCode == 0, $"client {i}: udhcpc exited {run.ExitCode}: {run.StandardError}\n{Lines(log)}");
                got.Add(File.ReadAllLines(log).Single(l => l.StartsWith("bound", StringComparison.Ordinal)).Split(' ')[1]);
            }
            else
            {
                Assert.True(run.ExitCode != 0, $"the third client got a lease from a range of two: {Lines(log)}");
            }
        }
        Assert.Equal(["ip=192.168.1.100", "ip=192.168.1.101"], got.Order());
        IReadOnlyList<IReadOnlyList<string>> show = (await hosts.ControlAsync("dhcp show", new Dictionary<string, string>())).Rows;
        Assert.True(long.Parse(show.Single(r => r[2] == "drop_pool_exhausted")[3]) >= 1, "pool_exhausted counted");
        Assert.Equal(2, (await LeasesAsync(hosts)).Count(l => l[2] == "bound"));
    }

    [Fact]
    public async Task AnAddressAnotherHostAlreadyUsesIsProbedKeptBackAndTheNextOneOffered()
    {
        Shell.RequireRootAnd("busybox", "ip", "sysctl");
        using RoutedHosts hosts = Hosts();
        // A host on the LAN link that already uses the range's first address (a macvlan with a
        // MAC of its own; arp_ignore 1 so that only it answers ARP for the address).
        hosts.Lan.Exec("sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1");
        hosts.Lan.Exec("ip", "link", "add", "link", hosts.LanDevice, "name", "squat", "type", "macvlan", "mode", "bridge");
        hosts.Lan.Exec("ip", "addr", "add", "192.168.1.100/24", "dev", "squat");
        hosts.Lan.Exec("ip", "link", "set", "squat", "up");
        string squatter = hosts.Lan.Exec("cat", "/sys/class/net/squat/address").Trim();
        string log = Path.Combine(_directory, "events");

        ShellResult run = hosts.Lan.TryExec(TimeSpan.FromSeconds(30), "busybox", "udhcpc", "-f", "-q", "-n", "-i", hosts.LanDevice, "-t", "5", "-T", "2",
            "-s", Script(log));

        Assert.True(run.ExitCode == 0, $"udhcpc exited {run.ExitCode}: {run.StandardError}\n{Lines(log)}");
        Assert.Contains("bound ip=192.168.1.101 ", File.ReadAllText(log), StringComparison.Ordinal);
        IReadOnlyList<IReadOnlyList<string>> leases = await LeasesAsync(hosts);
        Assert.Equal("declined", leases.Single(l => l[1] == "192.168.1.100")[2]);
        Assert.Equal("bound", leases.Single(l => l[1] == "192.168.1.101")[2]);
        IReadOnlyList<IReadOnlyList<string>> show = (await hosts.ControlAsync("dhcp show", new Dictionary<string, string>())).Rows;
        Assert.Equal("1", show.Single(r => r[1] == "server" && r[2] == "address_in_use")[3]);
        Assert.True(long.Parse(show.Single(r => r[1] == "server" && r[2] == "sent_arp_probe")[3]) >= 2, string.Join("; ", show.Select(r => string.Join(" ", r))));
        Assert.NotEqual(squatter, Mac(hosts));
    }

    [Fact]
    public async Task UdhcpcGetsTheAddressItRequestsWithR()
    {
        Shell.RequireRootAnd("busybox", "ip");
        using RoutedHosts hosts = Hosts();
        string log = Path.Combine(_directory, "events");
        ShellResult run = hosts.Lan.TryExec(TimeSpan.FromSeconds(30), "busybox", "udhcpc", "-f", "-q", "-n", "-i", hosts.LanDevice, "-t", "5", "-T", "2",
            "-s", Script(log), "-r", "192.168.1.107");
        Assert.True(run.ExitCode == 0, $"udhcpc exited {run.ExitCode}: {run.StandardError}\n{Lines(log)}");
        Assert.Contains("bound ip=192.168.1.107 ", File.ReadAllText(log), StringComparison.Ordinal);
        Assert.Equal("192.168.1.107", Assert.Single(await LeasesAsync(hosts))[1]);
    }

    [Fact]
    public async Task UdhcpcRenewsOnUsr1AndReleasesOnUsr2AndTheLeaseTableFollows()
    {
        Shell.RequireRootAnd("busybox", "ip", "kill", "tcpdump", "tshark");
        using RoutedHosts hosts = Hosts();
        string log = Path.Combine(_directory, "events");
        string capture = Path.Combine(_directory, "renew.pcap");
        Process tcpdump = hosts.Lan.Begin("tcpdump", "--immediate-mode", "-i", hosts.LanDevice, "-U", "-w", capture, "udp port 67 or udp port 68");
        await Waits.Until(() => File.Exists(capture) && new FileInfo(capture).Length > 0, "tcpdump writing its capture");
        Process udhcpc = hosts.Lan.Begin("busybox", "udhcpc", "-f", "-i", hosts.LanDevice, "-t", "5", "-T", "2", "-s", Script(log));
        try
        {
            await Waits.Until(() => Lines(log).Contains("bound ip=", StringComparison.Ordinal), () => $"udhcpc bound: {Lines(log)}");
            Assert.Equal("bound", Assert.Single(await LeasesAsync(hosts))[2]);

            Shell.Run("kill", "-USR1", udhcpc.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Waits.Until(() => Lines(log).Contains("renew ip=192.168.1.100", StringComparison.Ordinal), () => $"udhcpc renewed: {Lines(log)}");
            IReadOnlyList<IReadOnlyList<string>> show = (await hosts.ControlAsync("dhcp show", new Dictionary<string, string>())).Rows;
            Assert.Equal("2", show.Single(r => r[1] == "server" && r[2] == "sent_ack")[3]);
            Assert.Equal("2", show.Single(r => r[1] == "server" && r[2] == "received_request")[3]);
            // On the wire: the renewing REQUEST is unicast from ciaddr to the server, its ACK unicast to ciaddr at the client's MAC.
            await Task.Delay(300);
            string[] rows = Shell.Run("tshark", "-r", capture, "-Y", "dhcp.option.dhcp == 3 or dhcp.option.dhcp == 5", "-T", "fields", "-E", "separator=,",
                "-e", "dhcp.option.dhcp", "-e", "ip.src", "-e", "ip.dst", "-e", "eth.dst", "-e", "dhcp.ip.client").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(rows.Length == 4, string.Join('\n', rows));
            string mac = Mac(hosts);
            Assert.Equal($"3,192.168.1.100,192.168.1.1,{RouterMac},192.168.1.100", rows[2]);
            Assert.Equal($"5,192.168.1.1,192.168.1.100,{mac},192.168.1.100", rows[3]);

            Shell.Run("kill", "-USR2", udhcpc.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await Waits.Until(async () => (await LeasesAsync(hosts)).Single()[2] == "free", "the lease freed after udhcpc's release");
            Assert.Equal(Mac(hosts), (await LeasesAsync(hosts)).Single()[3]);
        }
        finally
        {
            udhcpc.Kill();
            await udhcpc.WaitForExitAsync();
            tcpdump.Kill();
            await tcpdump.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task EachRequestGetsExactlyOneReplyAndTheBroadcastFlagDecidesTheOffersDestination()
    {
        Shell.RequireRootAnd("busybox", "ip", "tcpdump", "tshark");
        using RoutedHosts hosts = Hosts();
        string capture = Path.Combine(_directory, "lan.pcap");
        Process tcpdump = hosts.Lan.Begin("tcpdump", "--immediate-mode", "-i", hosts.LanDevice, "-U", "-w", capture, "udp port 67 or udp port 68");
        try
        {
            await Waits.Until(() => File.Exists(capture) && new FileInfo(capture).Length > 0, "tcpdump writing its capture");
            string log = Path.Combine(_directory, "events");
            ShellResult plain = hosts.Lan.TryExec(TimeSpan.FromSeconds(30), "busybox", "udhcpc", "-f", "-q", "-n", "-i", hosts.LanDevice, "-t", "5", "-T", "2", "-s", Script(log));
            Assert.True(plain.ExitCode == 0, plain.StandardError);
            ShellResult broadcast = hosts.Lan.TryExec(TimeSpan.FromSeconds(30), "busybox", "udhcpc", "-f", "-q", "-n", "-B", "-i", hosts.LanDevice, "-t", "5", "-T", "2",
                "-s", Script(log));
            Assert.True(broadcast.ExitCode == 0, broadcast.StandardError);
            await Task.Delay(500);
        }
        finally
        {
            Shell.Run("kill", "-INT", tcpdump.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await tcpdump.WaitForExitAsync();
        }
        string tcpdumpSaid = await tcpdump.StandardError.ReadToEndAsync();
        string[] rows = Shell.Run("tshark", "-r", capture, "-T", "fields", "-E", "separator=,", "-e", "dhcp.id", "-e", "dhcp.option.dhcp", "-e", "ip.dst", "-e", "eth.dst",
            "-e", "dhcp.flags.bc").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var requests = rows.Where(r => r.Split(',')[1] is "1" or "3").ToList();
        var replies = rows.Where(r => r.Split(',')[1] is "2" or "5" or "6").ToList();
        Assert.True(requests.Count == 4, $"{string.Join('\n', rows)}\n{Shell.Run("tshark", "-r", capture)}\ntcpdump: {tcpdumpSaid}, {new FileInfo(capture).Length} bytes");
        // One reply per request: each request's xid (and type) answered once.
        foreach (string request in requests)
        {
            string xid = request.Split(',')[0];
            string answer = request.Split(',')[1] == "1" ? "2" : "5";
            Assert.True(replies.Count(r => r.Split(',')[0] == xid && r.Split(',')[1] == answer) == 1, $"xid {xid}: {string.Join('\n', rows)}");
        }
        Assert.Equal(4, replies.Count);
        string mac = Mac(hosts);
        string[] offers = [.. replies.Where(r => r.Split(',')[1] == "2")];
        Assert.Equal(("192.168.1.100", mac), (offers[0].Split(',')[2], offers[0].Split(',')[3]));
        Assert.Equal(("255.255.255.255", "ff:ff:ff:ff:ff:ff"), (offers[1].Split(',')[2], offers[1].Split(',')[3]));
    }

    [Fact]
    public async Task LeasesInTheLeaseFileSurviveARestartOfTheRouter()
    {
        Shell.RequireRootAnd("busybox", "ip");
        string file = Path.Combine(_directory, "leases.json");
        string log = Path.Combine(_directory, "events");
        using (RoutedHosts hosts = Hosts(file))
        {
            ShellResult run = hosts.Lan.TryExec(TimeSpan.FromSeconds(30), "busybox", "udhcpc", "-f", "-q", "-n", "-i", hosts.LanDevice, "-t", "5", "-T", "2",
                "-s", Script(log), "-r", "192.168.1.104");
            Assert.True(run.ExitCode == 0, run.StandardError);
            await hosts.StopAsync();
        }
        Assert.Contains("192.168.1.104", File.ReadAllText(file), StringComparison.Ordinal);
        using (RoutedHosts again = Hosts(file))
        {
            IReadOnlyList<string> lease = Assert.Single(await LeasesAsync(again));
            Assert.Equal(("192.168.1.104", "bound"), (lease[1], lease[2]));
        }
    }
}
