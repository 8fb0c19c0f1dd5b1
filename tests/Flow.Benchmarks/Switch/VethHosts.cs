using System.Globalization;
using Flow.Benchmarks.Backends.AfXdp;

namespace Flow.Benchmarks.Switch;

/// <summary>
/// Two Linux hosts, each in a private namespace, wired by veth to two switch-port ends in this
/// namespace that the switch under test attaches to:
/// <code>
///  ns h1: eth0 198.18.0.1/24 ═veth═ PortA ┐
///                                         ├─ switch under test (Flow af_xdp | Linux bridge | OVS netdev)
///  ns h2: eth0 198.18.0.2/24 ═veth═ PortB ┘
/// </code>
/// Hosts compute checksums in software (tx offload off), the same for every switch under test.
/// Unique names (pid + random suffix); everything is removed on dispose, also when construction fails.
/// </summary>
internal sealed class VethHosts : IDisposable
{
    public const string AddressH1 = "198.18.0.1";
    public const string AddressH2 = "198.18.0.2";

    private readonly List<string> _namespaces = [];
    private readonly List<string> _links = [];

    /// <summary>Hosts h1 and h2 with the given addresses (each a /24), by default both on 198.18.0.0/24.</summary>
    public VethHosts(string addressH1 = AddressH1, string addressH2 = AddressH2)
    {
        string suffix = Random.Shared.Next(0, 0xFFFFFF).ToString("x6", CultureInfo.InvariantCulture);
        H1 = $"flowbench-{Environment.ProcessId}-{suffix}-h1";
        H2 = $"flowbench-{Environment.ProcessId}-{suffix}-h2";
        PortA = $"fs{suffix}a";
        PortB = $"fs{suffix}b";
        try
        {
            AddHost(H1, PortA, addressH1);
            AddHost(H2, PortB, addressH2);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string H1 { get; }

    public string H2 { get; }

    public string PortA { get; }

    public string PortB { get; }

    /// <summary>The MAC of <paramref name="link"/> in this namespace.</summary>
    public static string MacOfLink(string link) => File.ReadAllText($"/sys/class/net/{link}/address").Trim();

    public string MacOf(string ns) => Run("ip", $"netns exec {ns} cat /sys/class/net/eth0/address").Trim();

    private void AddHost(string ns, string port, string address)
    {
        Run("ip", $"netns add {ns}");
        _namespaces.Add(ns);
        Run("ip", $"netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
        Run("ip", $"netns exec {ns} sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
        Run("ip", $"link add {port} type veth peer name eth0 netns {ns}");
        _links.Add(port);
        Run("sysctl", $"-qw net.ipv6.conf.{port}.disable_ipv6=1");
        Run("ip", $"link set {port} up");
        Run("ip", $"-n {ns} link set lo up");
        Run("ip", $"-n {ns} addr add {address}/24 dev eth0");
        // Checksums in software: with veth's default tx checksum offload the kernel leaves TCP/UDP
        // checksums unfilled (CHECKSUM_PARTIAL), which only the kernel's own forwarding (bridge)
        // carries along; a userspace switch (AF_XDP, OVS netdev) would forward bad checksums. Off
        // for all three switches alike (this also turns TSO off: MTU-sized TCP segments).
        Run("ip", $"netns exec {ns} ethtool -K eth0 tx off");
        Run("ip", $"-n {ns} link set eth0 up");
    }

    public static string Run(string file, string arguments) => BenchVeth.Run(file, arguments);

    public void Dispose()
    {
        foreach (string link in _links)
        {
            try
            {
                Run("ip", $"link del {link}");
            }
            catch (InvalidOperationException)
            {
                // gone with its namespace peer already
            }
        }
        foreach (string ns in _namespaces)
        {
            try
            {
                Run("ip", $"netns del {ns}");
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }
    }
}
