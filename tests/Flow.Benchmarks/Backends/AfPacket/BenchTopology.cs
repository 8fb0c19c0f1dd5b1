using System.Globalization;
using Flow.TestKit;

namespace Flow.Benchmarks.Backends.AfPacket;

/// <summary>
/// The benchmark's veth pair: <see cref="HostEnd"/> in this namespace, <see cref="PeerEnd"/> in a
/// private namespace, unique names, IPv6 off, removed in <see cref="Dispose"/>. Also starts
/// <c>dpdk-testpmd</c> (TestKit's <see cref="Testpmd"/>) on either end.
/// </summary>
internal sealed class BenchTopology : IDisposable
{
    /// <summary>Ring frames both sides get: 8192 x 2 KiB = 16 MiB (testpmd's default of 512 overflows whenever it is descheduled).</summary>
    public const int RingFrames = 8192;

    public BenchTopology()
    {
        string suffix = $"{Environment.ProcessId % 10000}{Random.Shared.Next(0x100, 0xFFF):x}";
        Namespace = $"flbench{suffix}";
        HostEnd = $"flbh{suffix}";
        PeerEnd = $"flbp{suffix}";
        Shell.Run("ip", "netns", "add", Namespace);
        try
        {
            Shell.Run("ip", "netns", "exec", Namespace, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
            Shell.Run("ip", "link", "add", HostEnd, "type", "veth", "peer", "name", PeerEnd);
            Shell.Run("sysctl", "-qw", $"net.ipv6.conf.{HostEnd}.disable_ipv6=1");
            Shell.Run("ip", "link", "set", PeerEnd, "netns", Namespace);
            Shell.Run("ip", "netns", "exec", Namespace, "sysctl", "-qw", $"net.ipv6.conf.{PeerEnd}.disable_ipv6=1");
            Shell.Run("ip", "link", "set", HostEnd, "up");
            Shell.Run("ip", "-n", Namespace, "link", "set", PeerEnd, "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Namespace { get; }

    public string HostEnd { get; }

    public string PeerEnd { get; }

    public long HostCounter(string name) =>
        long.Parse(File.ReadAllText($"/sys/class/net/{HostEnd}/statistics/{name}").Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// A testpmd on a veth end (net_af_packet, <see cref="RingFrames"/> per ring), driven at its
    /// prompt and forwarding in <paramref name="mode"/> when this returns; the caller disposes it
    /// (<c>quit</c>, then SIGKILL by pid).
    /// </summary>
    public Testpmd StartTestpmd(string iface, bool inNamespace, string mode, int cpu)
    {
        Testpmd testpmd = Testpmd.Interactive(new TestpmdOptions
        {
            Devices = [$"net_af_packet0,iface={iface},blocksz=4096,framesz=2048,framecnt={RingFrames}"],
            Arguments = $"--total-num-mbufs=4096 --forward-mode={mode} --txpkts=64",
            Cpu = cpu,
            Namespace = inNamespace ? Namespace : null,
        });
        try
        {
            testpmd.StartForwarding();
        }
        catch
        {
            testpmd.Dispose();
            throw;
        }
        return testpmd;
    }

    public void Dispose()
    {
        try
        {
            Shell.Run("ip", "link", "del", HostEnd);
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Shell.Run("ip", "netns", "del", Namespace);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
