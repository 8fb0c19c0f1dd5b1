using System.Diagnostics;
using Flow.Benchmarks.Infrastructure;
using Flow.TestKit;

namespace Flow.Benchmarks.Router;

/// <summary>
/// DPDK's <c>l3fwd-graph</c> example (built by <c>build-l3fwd-graph.sh</c>, graph statistics
/// compiled out) routing between net_memif ports with its own route table
/// (<c>ipv4_l3fwd_lpm_route_array</c>: 198.18.&lt;port&gt;.0/24 → port, destination MAC
/// 02:00:00:00:00:&lt;port&gt;, only the enabled ports' routes are added). Two lcores, as the
/// example requires (the main lcore runs no graph): the worker, which polls every port, on
/// <c>workerCpu</c>; the main lcore on <c>mainCpu</c>. With statistics off the main lcore only
/// waits for the worker — in <c>rte_eal_wait_lcore</c>, a busy loop — so it is made
/// <c>SCHED_IDLE</c> once the worker runs: it then takes only time <c>mainCpu</c> would
/// otherwise leave idle (the testpmd generator there preempts it at once). Stopped with SIGINT by
/// pid, SIGKILL if it hangs.
/// </summary>
internal sealed class L3fwdGraphPeer : IDisposable
{
    private readonly CapturedProcess _process;

    public L3fwdGraphPeer(string binary, IReadOnlyList<string> vdevs, int workerCpu, int mainCpu)
    {
        string prefix = $"flowbenchl3fg{Environment.ProcessId}{Random.Shared.Next(1_000_000)}";
        string devices = string.Join(" ", vdevs.Select(v => "--vdev=" + v));
        string segments = vdevs.Any(v => v.Contains("zero-copy=yes", StringComparison.Ordinal)) ? " --single-file-segments" : "";
        string config = string.Join(",", vdevs.Select((_, port) => $"({port},0,1)"));
        // Arguments go to the program as they are (no shell): the config list needs no quotes.
        _process = CapturedProcess.Start(binary, CapturedProcess.Words(
            $"--no-huge --no-pci -m 512{segments} --file-prefix={prefix} --lcores=0@{mainCpu},1@{workerCpu} {devices} " +
            $"-- -p 0x{(1 << vdevs.Count) - 1:x} --config={config}"), unbuffered: true);
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => _process.Output;

    /// <summary>Waits (bounded) for the worker's main loop, then makes the main lcore SCHED_IDLE. False if it never got there.</summary>
    public bool WaitForwarding()
    {
        if (!Waits.TryUntilBlocking(() => Output.Contains("Entering main loop", StringComparison.Ordinal) || HasExited, TimeSpan.FromSeconds(20)) || HasExited)
        {
            return false;
        }
        // chrt -p without -a changes one thread: the main thread, whose tid is the pid.
        using Process chrt = Process.Start(new ProcessStartInfo("chrt", $"--idle -p 0 {Pid}") { RedirectStandardError = true })
            ?? throw new InvalidOperationException("cannot run chrt");
        return chrt.WaitForExit(10_000) && chrt.ExitCode == 0;
    }

    /// <summary>The worker lcore's thread id (EAL names it <c>rte-worker-1</c>).</summary>
    public int WorkerThreadId() =>
        Directory.EnumerateDirectories($"/proc/{Pid}/task")
            .Select(task => (Id: int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture), Name: File.ReadAllText(Path.Combine(task, "comm")).Trim()))
            .First(t => t.Name.StartsWith("rte-worker", StringComparison.Ordinal)).Id;

    /// <summary>
    /// The binary: <c>FLOW_L3FWD_GRAPH</c> if set, else what <c>Router/build-l3fwd-graph.sh</c>
    /// builds or has cached. Null with a reason when neither works.
    /// </summary>
    public static string? Locate(out string reason) => DpdkExample.Locate("Router/build-l3fwd-graph.sh", "FLOW_L3FWD_GRAPH", out reason);

    public void Dispose()
    {
        _process.Stop(() => _process.Signal(2)); // SIGINT: l3fwd-graph closes its ports and exits
        _process.Dispose();
    }
}
