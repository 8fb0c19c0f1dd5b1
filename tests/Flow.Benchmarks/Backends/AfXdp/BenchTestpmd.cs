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
    private readonly System.Text.StringBuilder _output = new();
    private long _pendingRx = -1;
    private volatile bool _forwarding;

    /// <summary>
    /// <paramref name="busyBudget"/>: net_af_xdp's <c>busy_budget</c> devarg; null leaves DPDK's
    /// default (64 on Linux 5.11+: preferred busy polling on), 0 turns busy polling off.
    /// </summary>
    public BenchTestpmd(string? netns, string iface, int cpu, string forward, string prefix, int? busyBudget = null)
    {
        string inNs = netns is null ? "" : $"ip netns exec {netns} ";
        string budget = busyBudget is { } b ? $",busy_budget={b}" : "";
        string command = $"{inNs}timeout -s INT 120 stdbuf -o0 -e0 dpdk-testpmd --no-huge --no-pci -m 512 --lcores=0@{cpu},1@{cpu} " +
            $"--file-prefix={prefix} --vdev=net_af_xdp0,iface={iface}{budget} -- --total-num-mbufs=16384 --rxd=2048 --txd=2048 " +
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

    /// <summary>Everything testpmd printed so far (kept for a failed start's diagnosis).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>testpmd ended before it was asked to (an EAL or port setup failure ends it at once).</summary>
    public bool HasExited => _process.HasExited;

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _started.TrySetResult();
            return;
        }
        lock (_output)
        {
            if (_output.Length < 64 * 1024 && !IsStatistics(line))
            {
                _output.AppendLine(line);
            }
        }
        if (line.Contains("packet forwarding - ports=", StringComparison.Ordinal))
        {
            _forwarding = true;
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

    /// <summary>Samples of the NIC counters collected so far (one a second while forwarding).</summary>
    public int SampleCount
    {
        get
        {
            lock (_samples)
            {
                return _samples.Count;
            }
        }
    }

    /// <summary>Samples whose lines arrived between <paramref name="from"/> and <paramref name="to"/>.</summary>
    public int SamplesBetween(long from, long to)
    {
        lock (_samples)
        {
            return _samples.Count(s => s.Ticks >= from && s.Ticks <= to);
        }
    }

    /// <summary>testpmd printed that its forwarding started.</summary>
    public bool Forwarding => _forwarding;

    // The periodic statistics block; kept out of the saved output so a failure shows setup lines.
    private static bool IsStatistics(string line) =>
        line.Contains("-packets:", StringComparison.Ordinal) || line.Contains("-pps:", StringComparison.Ordinal) ||
        line.Contains("RX-errors", StringComparison.Ordinal) || line.Contains("RX-nombuf", StringComparison.Ordinal) ||
        line.Contains("####", StringComparison.Ordinal) || line.Contains("statistics", StringComparison.Ordinal) ||
        line.Contains("Throughput", StringComparison.Ordinal) || line.Contains("\u001b[2J", StringComparison.Ordinal) ||
        string.IsNullOrWhiteSpace(line);

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
