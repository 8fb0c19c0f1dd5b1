using System.Diagnostics;
using System.Globalization;

namespace Flow.Benchmarks.Backends.AfPacket;

/// <summary>
/// The benchmark's veth pair: <see cref="HostEnd"/> in this namespace, <see cref="PeerEnd"/> in a
/// private namespace, unique names, IPv6 off, removed in <see cref="Dispose"/>. Also starts
/// and stops <c>dpdk-testpmd</c> (by pid, with SIGINT so DPDK shuts down cleanly).
/// </summary>
internal sealed class BenchTopology : IDisposable
{
    /// <summary>Ring frames both sides get: 8192 x 2 KiB = 16 MiB (testpmd's default of 512 overflows whenever it is descheduled).</summary>
    public const int RingFrames = 8192;

    private readonly List<Process> _started = [];

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

    /// <summary>Starts testpmd on a veth end, bounded by <paramref name="seconds"/> (SIGINT at the end).</summary>
    public Process StartTestpmd(string iface, bool inNamespace, string mode, int cpu, int seconds, string prefix)
    {
        var args = new List<string>();
        if (inNamespace)
        {
            args.AddRange(["ip", "netns", "exec", Namespace]);
        }
        args.AddRange(["timeout", "-s", "INT", seconds.ToString(CultureInfo.InvariantCulture), "dpdk-testpmd",
            "--no-huge", "--no-pci", "-m", "512", $"--file-prefix={prefix}{Environment.ProcessId}", $"--lcores=0@{cpu},1@{cpu}",
            $"--vdev=net_af_packet0,iface={iface},blocksz=4096,framesz=2048,framecnt={RingFrames}", "--", "--total-num-mbufs=4096", $"--forward-mode={mode}",
            "--stats-period=1", "--txpkts=64"]);
        var info = new ProcessStartInfo(args[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }
        Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start dpdk-testpmd");
        _started.Add(process);
        return process;
    }

    /// <summary>Asks a testpmd we started to stop (SIGINT to the timeout wrapper, which passes it on) and waits.</summary>
    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            Run("kill", "-INT", process.Id.ToString(CultureInfo.InvariantCulture));
        }
        if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            process.Kill(entireProcessTree: true);
        }
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
        foreach (Process process in _started)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
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
