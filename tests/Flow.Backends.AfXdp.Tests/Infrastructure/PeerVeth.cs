using System.Globalization;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.AfXdp.Tests.Infrastructure;

/// <summary>
/// TestKit's <see cref="VethPair"/> (optionally multi-queue) with its peer end in a private
/// <see cref="NetnsFixture"/>, both unique to this instance, removed in <see cref="Dispose"/> even
/// when the test failed; plus what the AF_XDP tests ask of the local end's XDP attachment.
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
    private readonly NetnsFixture _namespace;
    private readonly VethPair _veth;
    private bool _disposed;

    public PeerVeth(int queues = 1)
    {
        _namespace = new NetnsFixture("xdp");
        try
        {
            _veth = new VethPair(_namespace, "fx", queues);
            LocalMac = ReadMac(_veth.HostMac);
            PeerMac = ReadMac(_veth.PeerMac);
        }
        catch
        {
            _veth?.Dispose();
            _namespace.Dispose();
            throw;
        }
    }

    public string Namespace => _namespace.Name;

    /// <summary>The end in this namespace, the one Flow drives.</summary>
    public string Local => _veth.HostName;

    /// <summary>The end inside <see cref="Namespace"/>.</summary>
    public string Peer => _veth.PeerName;

    public byte[] LocalMac { get; }

    public byte[] PeerMac { get; }

    /// <summary>Runs a command inside the namespace and returns its output; fails on a non-zero exit or after <paramref name="limit"/>.</summary>
    public string InNamespace(TimeSpan limit, params string[] command) =>
        Shell.RunWithLimit(limit, "ip", ["netns", "exec", Namespace, .. command]);

    /// <summary>Runs a command inside the namespace (30 s bound) and returns its output; fails on a non-zero exit.</summary>
    public string InNamespace(params string[] command) => _namespace.Exec(command);

    /// <summary>The interface's XDP attachment as `ip link` shows it ("xdp", "xdpgeneric", ...) or null.</summary>
    public string? LocalXdpMode()
    {
        string text = Shell.Run("ip", "-d", "link", "show", "dev", Local);
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
        string[] words = Shell.Run("ip", "-d", "link", "show", "dev", Local).Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
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

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        // Deleting the namespace deletes the peer, and with it the local end.
        _veth.Dispose();
        _namespace.Dispose();
        Assert.False(Directory.Exists($"/sys/class/net/{Local}") && File.Exists($"/run/netns/{Namespace}"),
            $"veth {Local} / namespace {Namespace} were not removed");
    }
}
