namespace Flow.TestKit;

/// <summary>
/// A veth pair with unique names: <see cref="HostName"/> stays in the test's namespace,
/// <see cref="PeerName"/> goes into <see cref="Namespace"/> when one is given. Both ends
/// are up with IPv6 off, so only the test's own traffic crosses. <see cref="Dispose"/> deletes
/// the pair (deleting one end deletes both).
/// </summary>
public sealed class VethPair : IDisposable
{
    private bool _disposed;

    /// <param name="peerNamespace">The namespace the peer end goes into; null keeps it here.</param>
    /// <param name="tag">Prefix of the generated interface names.</param>
    /// <param name="queues">rx and tx queues of each end (veth spreads by the sender's queue).</param>
    public VethPair(NetnsFixture? peerNamespace = null, string tag = "v", int queues = 1)
    {
        Shell.RequireRootAnd("ip");
        HostName = NetnsFixture.UniqueName(tag + "h", 15);
        PeerName = NetnsFixture.UniqueName(tag + "p", 15);
        Namespace = peerNamespace;
        string q = queues.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Shell.Run("ip", "link", "add", HostName, "numtxqueues", q, "numrxqueues", q, "type", "veth",
            "peer", "name", PeerName, "numtxqueues", q, "numrxqueues", q);
        try
        {
            Shell.Run("sysctl", "-qw", $"net.ipv6.conf.{HostName}.disable_ipv6=1");
            Shell.Run("sysctl", "-qw", $"net.ipv6.conf.{PeerName}.disable_ipv6=1");
            if (peerNamespace is not null)
            {
                Shell.Run("ip", "link", "set", PeerName, "netns", peerNamespace.Name);
                peerNamespace.Exec("ip", "link", "set", PeerName, "up");
            }
            else
            {
                Shell.Run("ip", "link", "set", PeerName, "up");
            }
            Shell.Run("ip", "link", "set", HostName, "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string HostName { get; }

    public string PeerName { get; }

    public NetnsFixture? Namespace { get; }

    /// <summary>MAC address of the peer end, read from the kernel.</summary>
    public string PeerMac => ReadMac(PeerName, Namespace);

    /// <summary>MAC address of the host end, read from the kernel.</summary>
    public string HostMac => ReadMac(HostName, null);

    /// <summary>An interface counter from /sys/class/net (for example rx_packets), read in the right namespace.</summary>
    public static long ReadCounter(string name, NetnsFixture? ns, string counter)
    {
        string path = $"/sys/class/net/{name}/statistics/{counter}";
        string text = ns is null ? File.ReadAllText(path) : ns.Exec("cat", path);
        return long.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string ReadMac(string name, NetnsFixture? ns)
    {
        string path = $"/sys/class/net/{name}/address";
        return (ns is null ? File.ReadAllText(path) : ns.Exec("cat", path)).Trim();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (Shell.TryRun(TimeSpan.FromSeconds(10), "ip", "link", "del", HostName).ExitCode != 0 && Namespace is not null)
        {
            Namespace.TryExec(TimeSpan.FromSeconds(10), "ip", "link", "del", PeerName);
        }
    }
}
