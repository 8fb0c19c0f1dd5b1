using System.Globalization;
using Xunit;

namespace Flow.Backends.AfXdp.Tests.Infrastructure;

/// <summary>
/// A veth pair (optionally multi-queue, which TestKit's VethPair does not make) with its peer end
/// in a private network namespace, both unique to this
/// instance, removed in <see cref="Dispose"/> even when the test failed.
/// </summary>
/// <remarks>
/// <code>
///   this namespace                 namespace Namespace
///   +-------------+   veth pair   +-------------+
///   | Local (Flow)|&lt;------------&gt;| Peer        |  kernel, scapy, ping, testpmd
///   +-------------+               +-------------+
/// </code>
/// IPv6 is off on both ends so the kernel sends no router solicitations or DAD probes that
/// would mix with a test's frames. The peer gets 10.x.y.2/24 only where a test asks for IP.
/// </remarks>
internal sealed class PeerVeth : IDisposable
{
    private bool _disposed;

    public PeerVeth(int queues = 1)
    {
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root" && !IsRoot())
        {
            throw new InvalidOperationException("prerequisite missing: AF_XDP tests need root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF)");
        }
        Command.Require("ip", "iproute2");
        string suffix = Random.Shared.Next(0, 0xFFFFFF).ToString("x6", CultureInfo.InvariantCulture);
        Namespace = $"flowxdp-{Environment.ProcessId}-{suffix}";
        Local = $"fx{suffix}a";
        Peer = $"fx{suffix}b";
        try
        {
            Command.Check("ip", $"netns add {Namespace}");
            string q = queues > 1 ? $" numrxqueues {queues} numtxqueues {queues}" : "";
            Command.Check("ip", $"link add {Local}{q} type veth peer name {Peer}{q} netns {Namespace}");
            Command.Check("sysctl", $"-qw net.ipv6.conf.{Local}.disable_ipv6=1");
            Command.Check("ip", $"netns exec {Namespace} sysctl -qw net.ipv6.conf.{Peer}.disable_ipv6=1");
            Command.Check("ip", $"link set {Local} up");
            Command.Check("ip", $"-n {Namespace} link set lo up");
            Command.Check("ip", $"-n {Namespace} link set {Peer} up");
            LocalMac = ReadMac(Command.Check("cat", $"/sys/class/net/{Local}/address"));
            PeerMac = ReadMac(Command.Check("ip", $"netns exec {Namespace} cat /sys/class/net/{Peer}/address"));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Namespace { get; }

    /// <summary>The end in this namespace, the one Flow drives.</summary>
    public string Local { get; }

    /// <summary>The end inside <see cref="Namespace"/>.</summary>
    public string Peer { get; }

    public byte[] LocalMac { get; }

    public byte[] PeerMac { get; }

    /// <summary>Runs a command inside the namespace and returns its output; fails on a non-zero exit.</summary>
    public string InNamespace(string command, string arguments, TimeSpan? timeout = null) =>
        Command.Check("ip", $"netns exec {Namespace} {command} {arguments}", timeout);

    /// <summary>The interface's XDP attachment as `ip link` shows it ("xdp", "xdpgeneric", ...) or null.</summary>
    public string? LocalXdpMode()
    {
        string text = Command.Check("ip", $"-d link show dev {Local}");
        foreach (string word in text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (word is "xdp" or "xdpgeneric" or "xdpdrv" or "xdpmulti" or "xdpoffload")
            {
                return word;
            }
        }
        return null;
    }

    /// <summary>The id of the XDP program attached to the local end ("prog/xdp id N" in `ip -d link`), or null.</summary>
    public uint? LocalXdpProgramId()
    {
        string[] words = Command.Check("ip", $"-d link show dev {Local}").Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 2 < words.Length; i++)
        {
            if (words[i] == "prog/xdp" && words[i + 1] == "id")
            {
                return uint.Parse(words[i + 2], CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    private static byte[] ReadMac(string text) => Convert.FromHexString(text.Trim().Replace(":", ""));

    private static bool IsRoot() => File.ReadAllText("/proc/self/status").Contains("Uid:\t0\t", StringComparison.Ordinal);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        // Deleting the namespace deletes the peer, and with it the local end.
        Command.Run("ip", $"link del {Local}");
        Command.Run("ip", $"netns del {Namespace}");
        Assert.False(Directory.Exists($"/sys/class/net/{Local}") && File.Exists($"/run/netns/{Namespace}"),
            $"veth {Local} / namespace {Namespace} were not removed");
    }
}
