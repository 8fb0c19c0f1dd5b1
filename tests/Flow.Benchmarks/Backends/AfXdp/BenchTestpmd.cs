using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Flow.Benchmarks.Backends.AfXdp;

/// <summary>
/// dpdk-testpmd with net_af_xdp on one veth end, lcores pinned to one CPU, stats every second;
/// bounded by `timeout`, stopped with SIGINT. Collects the per-second Rx-pps / Tx-pps figures.
/// </summary>
internal sealed partial class BenchTestpmd : IDisposable
{
    private readonly Process _process;
    private readonly List<(long Ticks, long RxPps, long TxPps)> _samples = [];
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _pendingRx = -1;

    public BenchTestpmd(string? netns, string iface, int cpu, string forward, string prefix)
    {
        string inNs = netns is null ? "" : $"ip netns exec {netns} ";
        string command = $"{inNs}timeout -s INT 120 dpdk-testpmd --no-huge --no-pci -m 512 --lcores=0@{cpu},1@{cpu} " +
            $"--file-prefix={prefix} --vdev=net_af_xdp0,iface={iface} -- --total-num-mbufs=16384 --rxd=2048 --txd=2048 " +
            $"--stats-period=1 {forward}";
        _process = Process.Start(new ProcessStartInfo("sh", $"-c \"exec {command}\"") { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("cannot start dpdk-testpmd");
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!_started.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            Dispose();
            throw new TimeoutException("testpmd did not start forwarding");
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _started.TrySetResult();
            return;
        }
        if (line.Contains("packet forwarding - ports=", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
        Match m = Pps().Match(line);
        if (!m.Success)
        {
            return;
        }
        long value = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        lock (_samples)
        {
            if (m.Groups[1].Value == "Rx")
            {
                _pendingRx = value;
            }
            else if (_pendingRx >= 0)
            {
                _samples.Add((Stopwatch.GetTimestamp(), _pendingRx, value));
                _pendingRx = -1;
            }
        }
    }

    /// <summary>Mean of the per-second figures whose interval lies inside [from, to] (timestamps).</summary>
    public (double Rx, double Tx) MeanPps(long from, long to)
    {
        lock (_samples)
        {
            // A sample printed at time t covers (t - 1 s, t].
            long second = Stopwatch.Frequency;
            var inside = _samples.Where(s => s.Ticks - second >= from && s.Ticks <= to + second / 10).ToList();
            if (inside.Count == 0)
            {
                return (0, 0);
            }
            return (inside.Average(s => (double)s.RxPps), inside.Average(s => (double)s.TxPps));
        }
    }

    [GeneratedRegex(@"(Rx|Tx)-pps:\s+(\d+)")]
    private static partial Regex Pps();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            BenchVeth.Run("kill", $"-INT {_process.Id}");
            if (!_process.WaitForExit(20_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.WaitForExit();
        _process.Dispose();
    }
}
