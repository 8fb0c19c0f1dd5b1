using System.Diagnostics;
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
        Run("ip", "netns", "add", Namespace);
        try
        {
            Run("ip", "netns", "exec", Namespace, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
            Run("ip", "link", "add", HostEnd, "type", "veth", "peer", "name", PeerEnd);
            Run("sysctl", "-qw", $"net.ipv6.conf.{HostEnd}.disable_ipv6=1");
            Run("ip", "link", "set", PeerEnd, "netns", Namespace);
            Run("ip", "netns", "exec", Namespace, "sysctl", "-qw", $"net.ipv6.conf.{PeerEnd}.disable_ipv6=1");
            Run("ip", "link", "set", HostEnd, "up");
            Run("ip", "-n", Namespace, "link", "set", PeerEnd, "up");
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

    public static string Run(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command)}' failed: {error.Trim()}");
        }
        return output;
    }

    public void Dispose()
    {
        try
        {
            Run("ip", "link", "del", HostEnd);
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Run("ip", "netns", "del", Namespace);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
