using System.Globalization;

namespace Flow.Cli;

/// <summary>
/// The demo's hosts: one network namespace per switch port, each holding one end of a veth
/// pair whose other end stays in this namespace for the switch to bind (AF_PACKET):
/// <code>
///  flow-demo-&lt;id&gt;-h1  eth0 198.18.10.1 ─veth─ fd&lt;id&gt;s1 ─ p1 (access 10) ─┐
///  flow-demo-&lt;id&gt;-h2  eth0 198.18.10.2 ─veth─ fd&lt;id&gt;s2 ─ p2 (access 10) ─┤ switch.json
///  flow-demo-&lt;id&gt;-h3  eth0 198.18.10.3 ─veth─ fd&lt;id&gt;s3 ─ p3 (access 20) ─┤ (one worker)
///  flow-demo-&lt;id&gt;-h4  eth0 198.18.10.4 ─veth─ fd&lt;id&gt;s4 ─ p4 (trunk 10 native, 20 tagged) ─┘
/// </code>
/// h3 sits in VLAN 20 but has an address in VLAN 10's subnet: only the switch's VLANs keep it
/// from h1 and h2. Names carry the pid and a random part, so runs never collide.
/// 198.18.0.0/15 is the benchmarking range (RFC 2544), used only inside these namespaces.
/// <see cref="Dispose"/> deletes everything it made, also after a failure half way.
/// </summary>
internal sealed class DemoNetwork : IDisposable
{
    public const int Hosts = 4;

    private readonly List<string> _namespaces = [];
    private readonly List<string> _links = [];
    private bool _disposed;

    public DemoNetwork()
    {
        Id = $"{Environment.ProcessId % 0x100000:x}{Random.Shared.Next(0x10, 0xFF):x2}";
        SwitchSide = new string[Hosts];
        Namespaces = new string[Hosts];
        Addresses = ["198.18.10.1", "198.18.10.2", "198.18.10.3", "198.18.10.4"];
        Macs = new string[Hosts];
    }

    /// <summary>The part of every name that is this run's.</summary>
    public string Id { get; }

    /// <summary>The veth end of each host that the switch binds (in this namespace).</summary>
    public string[] SwitchSide { get; }

    public string[] Namespaces { get; }

    public string[] Addresses { get; }

    /// <summary>Each host's MAC address (its eth0).</summary>
    public string[] Macs { get; }

    /// <summary>h4's VLAN 20 sub-interface address, when the kernel has 802.1Q (the 8021q module).</summary>
    public string? TrunkVlan20Address { get; private set; }

    public string VlanNote { get; private set; } = "";

    /// <summary>Makes the namespaces and veths; checks <paramref name="cancel"/> between steps.</summary>
    public void Create(CancellationToken cancel)
    {
        for (int i = 0; i < Hosts; i++)
        {
            cancel.ThrowIfCancellationRequested();
            string ns = $"flow-demo-{Id}-h{i + 1}";
            HostCommand.Run("ip", "netns", "add", ns);
            _namespaces.Add(ns);
            Namespaces[i] = ns;
            string outside = $"fd{Id}s{i + 1}";
            string inside = $"fd{Id}h{i + 1}";
            HostCommand.Run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
            _links.Add(outside);
            SwitchSide[i] = outside;
            // No IPv6 on the switch side: only the hosts' own traffic crosses the switch.
            HostCommand.TryRun(TimeSpan.FromSeconds(5), "sysctl", "-qw", $"net.ipv6.conf.{outside}.disable_ipv6=1");
            HostCommand.Run("ip", "link", "set", inside, "netns", ns);
            InNamespace(ns, "ip", "link", "set", inside, "name", "eth0");
            InNamespace(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            InNamespace(ns, "ip", "link", "set", "lo", "up");
            InNamespace(ns, "ip", "addr", "add", Addresses[i] + "/24", "dev", "eth0");
            InNamespace(ns, "ip", "link", "set", "eth0", "up");
            HostCommand.Run("ip", "link", "set", outside, "up");
            Macs[i] = InNamespace(ns, "cat", "/sys/class/net/eth0/address").Trim();
        }
        InNamespace(Namespaces[2], "ip", "addr", "add", "198.18.20.3/24", "dev", "eth0");
        // VLAN 20 reaches h4 tagged over the trunk; a sub-interface needs the kernel's 8021q.
        (int code, _, string stderr) = HostCommand.TryRun(TimeSpan.FromSeconds(5), "ip", "netns", "exec", Namespaces[3],
            "ip", "link", "add", "link", "eth0", "name", "eth0.20", "type", "vlan", "id", "20");
        if (code == 0)
        {
            InNamespace(Namespaces[3], "ip", "addr", "add", "198.18.20.4/24", "dev", "eth0.20");
            InNamespace(Namespaces[3], "ip", "link", "set", "eth0.20", "up");
            TrunkVlan20Address = "198.18.20.4";
        }
        else
        {
            VlanNote = $"this kernel has no 802.1Q VLAN interfaces ({stderr.Trim()}), so h4 talks only in the trunk's native VLAN 10";
        }
    }

    public string InNamespace(string ns, string file, params string[] args) => HostCommand.Run("ip", ["netns", "exec", ns, file, .. args]);

    /// <summary>Name of the host whose MAC is <paramref name="mac"/> (h1..h4), or null.</summary>
    public string? HostOf(string mac)
    {
        int index = Array.FindIndex(Macs, m => string.Equals(m, mac, StringComparison.OrdinalIgnoreCase));
        return index < 0 ? null : "h" + (index + 1).ToString(CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        // Deleting a namespace deletes the veth end inside it, and with it the pair; the links
        // are deleted too in case a namespace move never happened.
        foreach (string link in _links)
        {
            HostCommand.TryRun(TimeSpan.FromSeconds(10), "ip", "link", "del", link);
        }
        foreach (string ns in _namespaces)
        {
            HostCommand.TryRun(TimeSpan.FromSeconds(10), "ip", "netns", "del", ns);
        }
    }
}
