using System.Diagnostics;
using Flow.TestKit;

namespace Flow.Benchmarks.Backends.AfXdp;

/// <summary>
/// dpdk-testpmd with net_af_xdp on one veth end, both lcores pinned to one CPU, driven through
/// its prompt (<see cref="Testpmd"/>): forwarding starts on construction and the port's
/// counters are read on demand with <c>show port stats 0</c>, timestamped here.
/// No <c>--stats-period</c>: testpmd prints periodic stats from its main lcore, which shares the
/// CPU with the busy-polling forwarding lcore, so the lines came late and irregularly (two in
/// four seconds) and a window could hold fewer than two. At the prompt the main lcore sleeps in
/// a read of stdin, and a sleeper that wakes is scheduled within a slice.
/// </summary>
internal sealed class BenchTestpmd : IDisposable
{
    private readonly Testpmd _testpmd;

    /// <summary>
    /// <paramref name="busyBudget"/>: net_af_xdp's <c>busy_budget</c> devarg; null leaves DPDK's
    /// default (64 on Linux 5.11+: preferred busy polling on), 0 turns busy polling off.
    /// Throws <see cref="FailedStartException"/> when testpmd exits or does not start forwarding.
    /// </summary>
    public BenchTestpmd(string? netns, string iface, int cpu, string forward, int? busyBudget = null)
    {
        string budget = busyBudget is { } b ? $",busy_budget={b}" : "";
        try
        {
            _testpmd = Testpmd.Interactive(new TestpmdOptions
            {
                Devices = [$"net_af_xdp0,iface={iface}{budget}"],
                Arguments = $"--total-num-mbufs=16384 --rxd=2048 --txd=2048 {forward}",
                Cpu = cpu,
                Namespace = netns,
            });
        }
        catch (InvalidOperationException notStarted)
        {
            throw new FailedStartException("testpmd did not set its port up", notStarted.Message);
        }
        if (_testpmd.HasExited)
        {
            string output = _testpmd.Output;
            Dispose();
            throw new FailedStartException("testpmd exited while setting its port up", output);
        }
        int mark = _testpmd.Output.Length;
        _testpmd.Send("start");
        if (!Waits.TryUntilBlocking(() => _testpmd.Output[mark..].Contains("packet forwarding - ports=", StringComparison.Ordinal) || _testpmd.HasExited, TimeSpan.FromSeconds(20)))
        {
            string output = _testpmd.Output;
            Dispose();
            throw new FailedStartException("testpmd did not start forwarding in 20 s", output);
        }
        Forwarding = !_testpmd.HasExited;
    }

    /// <summary>Everything testpmd printed so far (kept for a failed start's diagnosis).</summary>
    public string Output => _testpmd.Output;

    /// <summary>testpmd ended before it was asked to.</summary>
    public bool HasExited => _testpmd.HasExited;

    /// <summary>testpmd printed that its forwarding started.</summary>
    public bool Forwarding { get; }

    /// <summary>
    /// The port's cumulative counters, stamped halfway between asking and the answer (the
    /// counters were read somewhere in between; the round trip is a few milliseconds).
    /// </summary>
    public (long Ticks, long Rx, long Tx) Counters()
    {
        long asked = Stopwatch.GetTimestamp();
        (long rx, long tx) = Answer(() => _testpmd.PortStats(0));
        long answered = Stopwatch.GetTimestamp();
        return (asked + (answered - asked) / 2, rx, tx);
    }

    /// <summary>Stops forwarding; the counters stay readable.</summary>
    public void Stop()
    {
        int mark = _testpmd.Output.Length;
        _testpmd.Send("stop");
        Waits.TryUntilBlocking(() => _testpmd.Output[mark..].Contains("Done.", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    /// <summary>The port's counters once two readings 20 ms apart agree (at most ~2 s).</summary>
    public (long Rx, long Tx) SettledCounters() => Answer(() => _testpmd.SettledPortStats(0));

    private (long Rx, long Tx) Answer(Func<(long Rx, long Tx)> read)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException silent)
        {
            throw new FailedStartException($"testpmd did not answer show port stats ({silent.Message}; exited {HasExited})", Output);
        }
    }

    public void Dispose() => _testpmd.Dispose();
}
