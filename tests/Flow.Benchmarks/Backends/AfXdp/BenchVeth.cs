using System.Diagnostics;
using System.Globalization;

namespace Flow.Benchmarks.Backends.AfXdp;

/// <summary>
/// The benchmark's veth pair: <see cref="Local"/> in this namespace (the measured side),
/// <see cref="Peer"/> in a private namespace (the testpmd peer). Unique names, removed on dispose.
/// </summary>
internal sealed class BenchVeth : IDisposable
{
    public BenchVeth()
    {
        string suffix = Random.Shared.Next(0, 0xFFFFFF).ToString("x6", CultureInfo.InvariantCulture);
        Namespace = $"flowbench-{Environment.ProcessId}-{suffix}";
        Local = $"fb{suffix}a";
        Peer = $"fb{suffix}b";
        try
        {
            Run("ip", $"netns add {Namespace}");
            Run("ip", $"link add {Local} type veth peer name {Peer} netns {Namespace}");
            Run("sysctl", $"-qw net.ipv6.conf.{Local}.disable_ipv6=1");
            Run("ip", $"netns exec {Namespace} sysctl -qw net.ipv6.conf.{Peer}.disable_ipv6=1");
            Run("ip", $"link set {Local} up");
            Run("ip", $"-n {Namespace} link set {Peer} up");
            LocalMac = Run("cat", $"/sys/class/net/{Local}/address").Trim();
            PeerMac = Run("ip", $"netns exec {Namespace} cat /sys/class/net/{Peer}/address").Trim();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Namespace { get; }

    public string Local { get; }

    public string Peer { get; }

    public string LocalMac { get; } = "";

    public string PeerMac { get; } = "";

    public static string Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"cannot start {file}");
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException($"{file} {arguments} hung");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' exited {process.ExitCode}: {error}");
        }
        return output;
    }

    public void Dispose()
    {
        try
        {
            Run("ip", $"netns del {Namespace}");
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
