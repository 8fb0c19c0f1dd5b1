using System.Diagnostics;
using Flow.TestKit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// router.json (<see cref="RoutedHosts"/>, af_packet) with a DHCP relay agent on its lan and a
/// subnet behind the relay, the topology of a DHCP server that serves relayed networks:
/// <code>
///  ns client ─ client0 ──── relay0 10.9.0.1/24 ┐ ns lan: the relay, forwarding      ┌ lan 192.168.1.1/24 router.json
///  busybox udhcpc                               └ 192.168.1.10/24 ───────────────────┘ route 10.9.0.0/24 via 192.168.1.10
///                    dnsmasq --dhcp-relay=10.9.0.1,192.168.1.1 (giaddr 10.9.0.1; requests on relay0 to the router)
/// </code>
/// dnsmasq's relay (man dnsmasq, --dhcp-relay=local,server): requests that arrive on the
/// interface holding the local address are relayed to the server with giaddr set to that
/// address, and the server's replies to that address are passed on to the client. The client
/// namespace and everything in the relay's go with <see cref="Dispose"/>, also on failure.
/// </summary>
internal sealed class RelayedHosts : IDisposable
{
    public const string RelayAddress = "10.9.0.1";
    public const string ClientDevice = "client0";
    private const string RelayDevice = "relay0";

    /// <param name="parameters">router.json overrides: the DHCP server's; the route to 10.9.0.0/24 via the relay is added here.</param>
    /// <param name="directory">Where dnsmasq's log goes.</param>
    public RelayedHosts(IReadOnlyDictionary<string, string> parameters, string directory)
    {
        Shell.RequireRootAnd("ip", "dnsmasq", "busybox");
        var set = new Dictionary<string, string>(parameters)
        {
            ["routes"] = $$"""[{"prefix": "0.0.0.0/0", "via": "{{RoutedHosts.WanHost}}"}, {"prefix": "10.9.0.0/24", "via": "{{RoutedHosts.LanHost}}"}]""",
        };
        RelayLog = Path.Combine(directory, "dnsmasq.log");
        Router = new RoutedHosts("af_packet", set);
        try
        {
            Client = new NetnsFixture("rc");
            NetnsFixture relay = Router.Lan;
            relay.Exec("ip", "link", "add", RelayDevice, "type", "veth", "peer", "name", ClientDevice, "netns", Client.Name);
            relay.Exec("ip", "addr", "add", RelayAddress + "/24", "dev", RelayDevice);
            relay.Exec("ip", "link", "set", RelayDevice, "up");
            relay.Exec("sysctl", "-qw", "net.ipv4.ip_forward=1");
            Client.Exec("ip", "link", "set", ClientDevice, "up");
            // The relay's replies to the client would otherwise carry only the pseudo-header sum,
            // which udhcpc's raw socket may take for a bad checksum.
            HostOffloads.DisableTxChecksum(relay, RelayDevice);
            HostOffloads.DisableTxChecksum(Client, ClientDevice);
            // --port=0: no DNS; no config file, pid file or daemon; the log to a file the test shows when it fails.
            // The relay's namespace kills it when the router's fixture goes.
            Process dnsmasq = relay.Begin("dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--pid-file=", $"--interface={RelayDevice}",
                $"--dhcp-relay={RelayAddress},{RoutedHosts.LanRouter}", "--log-dhcp", $"--log-facility={RelayLog}");
            Waits.TryUntilBlocking(() => Log.Contains("DHCP relay from", StringComparison.Ordinal) || dnsmasq.HasExited, TimeSpan.FromSeconds(10));
            if (dnsmasq.HasExited)
            {
                throw new InvalidOperationException($"dnsmasq exited with {dnsmasq.ExitCode}: {dnsmasq.StandardError.ReadToEnd()}\n{Log}");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The router and its lan host, which is the relay here.</summary>
    public RoutedHosts Router { get; }

    /// <summary>The namespace behind the relay, where the DHCP client runs.</summary>
    public NetnsFixture Client { get; } = null!;

    public string RelayLog { get; }

    /// <summary>What dnsmasq logged so far.</summary>
    public string Log => File.Exists(RelayLog) ? File.ReadAllText(RelayLog) : "(no dnsmasq log)";

    /// <summary>MAC of the client's interface.</summary>
    public string ClientMac => Client.Exec("cat", $"/sys/class/net/{ClientDevice}/address").Trim();

    /// <summary>Removes the client's namespace, then the router and its hosts (dnsmasq with the relay's namespace).</summary>
    public void Dispose()
    {
        Client?.Dispose();
        Router.Dispose();
    }
}
