using System.Diagnostics;

namespace Flow.Cli;

/// <summary>
/// The router demo's two sides, each a network namespace wired by veth to a router port that
/// stays in this namespace for pipelines/router.json to bind (AF_PACKET):
/// <code>
///  flow-demo-&lt;id&gt;-lan  eth0 (address from Flow's DHCP server) ─veth─ fd&lt;id&gt;l ─ lan 192.168.1.1/24 ┐
///     busybox httpd :8000 ("the LAN service")                                                        ├ router.json
///  flow-demo-&lt;id&gt;-isp  eth0 203.0.113.1/24 ─veth─ fd&lt;id&gt;w ─ wan (address from dnsmasq) ──────────┘  NAT on wan
///     dnsmasq (DHCP 203.0.113.100-150), busybox httpd :80 ("the WAN server")
/// </code>
/// 203.0.113.0/24 is TEST-NET-3 (RFC 5737), used only inside these namespaces. The isp side hands
/// out a DNS server address (203.0.113.53) that nobody serves: the demo checks that Flow passes
/// it on to the LAN host. <see cref="Dispose"/> stops what it started and deletes what it made,
/// also after a failure half way.
/// </summary>
internal sealed class RouterDemoNetwork : IDisposable
{
    public const string IspAddress = "203.0.113.1";
    public const string IspDns = "203.0.113.53";
    public const string WanServerPage = "hello from the WAN server\n";
    public const string LanServicePage = "hello from the LAN service\n";

    private readonly List<string> _namespaces = [];
    private readonly List<string> _links = [];
    private readonly List<Process> _processes = [];
    private bool _disposed;

    public RouterDemoNetwork()
    {
        Id = $"{Environment.ProcessId % 0x100000:x}{Random.Shared.Next(0x10, 0xFF):x2}";
        Lan = $"flow-demo-{Id}-lan";
        Isp = $"flow-demo-{Id}-isp";
        LanPort = $"fd{Id}l";
        WanPort = $"fd{Id}w";
        Directory = Path.Combine(Path.GetTempPath(), $"flow-demo-{Id}");
    }

    /// <summary>The part of every name that is this run's.</summary>
    public string Id { get; }

    public string Lan { get; }

    public string Isp { get; }

    /// <summary>The veth end the router's lan port binds.</summary>
    public string LanPort { get; }

    /// <summary>The veth end the router's wan port binds.</summary>
    public string WanPort { get; }

    /// <summary>Scratch files: web roots, dnsmasq's lease file, the DHCP client's script and its result.</summary>
    public string Directory { get; }

    public string DnsmasqLeases => Path.Combine(Directory, "dnsmasq.leases");

    /// <summary>Makes the namespaces and veths, starts dnsmasq and the two web servers; checks <paramref name="cancel"/> between steps.</summary>
    public void Create(string busybox, string dnsmasq, CancellationToken cancel)
    {
        System.IO.Directory.CreateDirectory(Directory);
        foreach ((string ns, string outside) in new[] { (Lan, LanPort), (Isp, WanPort) })
        {
            cancel.ThrowIfCancellationRequested();
            HostCommand.Run("ip", "netns", "add", ns);
            _namespaces.Add(ns);
            string inside = outside + "h";
            HostCommand.Run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
            _links.Add(outside);
            // No IPv6 and no address on the router's side: the kernel only carries frames to Flow.
            HostCommand.TryRun(TimeSpan.FromSeconds(5), "sysctl", "-qw", $"net.ipv6.conf.{outside}.disable_ipv6=1");
            HostCommand.Run("ip", "link", "set", inside, "netns", ns);
            InNamespace(ns, "ip", "link", "set", inside, "name", "eth0");
            InNamespace(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            InNamespace(ns, "ip", "link", "set", "lo", "up");
            InNamespace(ns, "ip", "link", "set", "eth0", "up");
            // With checksum offload a veth hands the router TCP and UDP whose checksum holds only
            // the pseudo-header sum (a NIC would finish it on the wire); the hosts compute them.
            InNamespace(ns, "ethtool", "-K", "eth0", "tx", "off");
            HostCommand.Run("ip", "link", "set", outside, "up");
        }
        InNamespace(Isp, "ip", "addr", "add", IspAddress + "/24", "dev", "eth0");

        string wanRoot = WebRoot("wan", WanServerPage);
        string lanRoot = WebRoot("lan", LanServicePage);
        Start(Isp, busybox, "httpd", "-f", "-p", "80", "-h", wanRoot);
        Start(Lan, busybox, "httpd", "-f", "-p", "8000", "-h", lanRoot);
        // The ISP: a short lease so the demo could watch a renewal, and a DNS server to pass on.
        Start(Isp, dnsmasq, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--port=0", "--bind-interfaces", "--interface=eth0",
            "--except-interface=lo", $"--dhcp-range=203.0.113.100,203.0.113.150,255.255.255.0,10m", $"--dhcp-option=option:router,{IspAddress}",
            $"--dhcp-option=option:dns-server,{IspDns}", $"--dhcp-leasefile={DnsmasqLeases}", "--log-facility=-", $"--pid-file={Path.Combine(Directory, "dnsmasq.pid")}");
    }

    /// <summary>
    /// The LAN host asks Flow's DHCP server for an address (busybox udhcpc, at most 20 s) and
    /// configures it with a script of the demo's; returns the address, router and DNS servers it got.
    /// </summary>
    public (string Address, string Router, string Dns)? LeaseLanHost(string busybox)
    {
        string result = Path.Combine(Directory, "lan.lease");
        string script = Path.Combine(Directory, "udhcpc.script");
        File.WriteAllText(script, $"""
            #!/bin/sh
            # busybox udhcpc calls this with the lease in its environment.
            case "$1" in
              deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
              bound|renew)
                ip addr flush dev "$interface"
                ip addr add "$ip/$subnet" dev "$interface"
                for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
                echo "$ip|$router|$dns" > {result}
                ;;
            esac
            exit 0
            """.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the router demo runs on Linux (network namespaces)");
        }
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        (int code, _, _) = HostCommand.TryRun(TimeSpan.FromSeconds(25), "ip", "netns", "exec", Lan, busybox, "udhcpc", "-i", "eth0", "-f", "-q", "-n",
            "-t", "6", "-T", "2", "-A", "1", "-s", script);
        if (code != 0 || !File.Exists(result))
        {
            return null;
        }
        string[] parts = File.ReadAllText(result).Trim().Split('|');
        return (parts[0], parts[1].Split(' ')[0], parts[2].Trim());
    }

    /// <summary>The address dnsmasq leased to <paramref name="mac"/>, once it has (polls its lease file).</summary>
    public string? WanLease(string mac)
    {
        if (!File.Exists(DnsmasqLeases))
        {
            return null;
        }
        // "<expiry> <mac> <address> <hostname> <client id>" per lease.
        foreach (string line in File.ReadAllLines(DnsmasqLeases))
        {
            string[] fields = line.Split(' ');
            if (fields.Length >= 3 && string.Equals(fields[1], mac, StringComparison.OrdinalIgnoreCase))
            {
                return fields[2];
            }
        }
        return null;
    }

    /// <summary>Fetches <paramref name="url"/> with busybox wget inside <paramref name="ns"/>; the body, or null.</summary>
    public string? Fetch(string ns, string busybox, string url)
    {
        // No -T: Debian's busybox 1.35 wget crashes with it; the 15 s limit here bounds the fetch.
        (int code, string body, _) = HostCommand.TryRun(TimeSpan.FromSeconds(15), "ip", "netns", "exec", ns, busybox, "wget", "-q", "-O", "-", url);
        return code == 0 ? body : null;
    }

    public string InNamespace(string ns, string file, params string[] args) => HostCommand.Run("ip", ["netns", "exec", ns, file, .. args]);

    private string WebRoot(string name, string page)
    {
        string root = Path.Combine(Directory, name + "-www");
        System.IO.Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "index.html"), page);
        return root;
    }

    private void Start(string ns, string file, params string[] args)
    {
        Process process = HostCommand.Start("ip", ["netns", "exec", ns, file, .. args]);
        _processes.Add(process);
        // Nobody reads their output: drain it so a chatty daemon never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (Process process in _processes)
        {
            HostCommand.Kill(process);
            process.Dispose();
        }
        foreach (string link in _links)
        {
            HostCommand.TryRun(TimeSpan.FromSeconds(10), "ip", "link", "del", link);
        }
        foreach (string ns in _namespaces)
        {
            HostCommand.TryRun(TimeSpan.FromSeconds(10), "ip", "netns", "del", ns);
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Scratch files in /tmp: nothing depends on them being gone.
        }
    }
}
