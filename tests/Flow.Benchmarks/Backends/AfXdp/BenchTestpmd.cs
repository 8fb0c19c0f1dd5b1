using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Flow.Benchmarks.Backends.AfXdp;

/// <summary>
/// dpdk-testpmd with net_af_xdp on one veth end, lcores pinned to one CPU, stats every second;
/// bounded by `timeout`, stopped with SIGINT. Collects the cumulative RX/TX packet counters it prints.
/// </summary>
internal sealed partial class BenchTestpmd : IDisposable
{
    private readonly Process _process;
    private readonly List<(long Ticks, long Rx, long Tx)> _samples = [];
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
        Match m = Packets().Match(line);
        if (!m.Success)
        {
            return;
        }
        long value = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        lock (_samples)
        {
            if (m.Groups[1].Value == "RX")
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

    /// <summary>
    /// Rates from testpmd's cumulative NIC counters (printed every second), between the first
    /// sample at or after <paramref name="from"/> and the last at or before <paramref name="to"/>
    /// (timestamps of when the lines arrived); falls back to the samples around the window when a
    /// loaded machine delayed the prints.
    /// </summary>
    public (double Rx, double Tx) MeanPps(long from, long to)
    {
        lock (_samples)
        {
            var inside = _samples.Where(s => s.Ticks >= from && s.Ticks <= to).ToList();
            if (inside.Count < 2)
            {
                inside = _samples.Where(s => s.Ticks >= from - Stopwatch.Frequency).ToList();
            }
            if (inside.Count < 2)
            {
                return (0, 0);
            }
            (long t0, long rx0, long tx0) = inside[0];
            (long t1, long rx1, long tx1) = inside[^1];
            double seconds = (double)(t1 - t0) / Stopwatch.Frequency;
            return ((rx1 - rx0) / seconds, (tx1 - tx0) / seconds);
        }
    }

    // NIC statistics lines: "  RX-packets: 123   RX-missed: 0 ..." then "  TX-packets: 456   TX-errors: 0 ...".
    [GeneratedRegex(@"^\s+(RX|TX)-packets:\s+(\d+)\s+(?:RX-missed|TX-errors)")]
    private static partial Regex Packets();

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
