using Flow.Benchmarks.Infrastructure;
using Flow.TestKit;

namespace Flow.Benchmarks.Switch;

/// <summary>
/// DPDK's <c>l2fwd</c> example (built by <c>build-l2fwd.sh</c>) forwarding between two net_memif
/// ports (port 0 ↔ port 1), one lcore pinned to one CPU, stats printing off. Stopped with
/// SIGINT by pid (l2fwd closes its ports and exits), SIGKILL if it hangs.
/// </summary>
internal sealed class L2fwdPeer : IDisposable
{
    private readonly CapturedProcess _process;

    public L2fwdPeer(string binary, IReadOnlyList<string> vdevs, int cpu, bool macUpdating = true)
    {
        string prefix = $"flowbenchl2fwd{Environment.ProcessId}{Random.Shared.Next(1_000_000)}";
        string devices = string.Join(" ", vdevs.Select(v => "--vdev=" + v));
        // DPDK's memif zero-copy client exposes its memseg file as the shared region: one file.
        string segments = vdevs.Any(v => v.Contains("zero-copy=yes", StringComparison.Ordinal)) ? " --single-file-segments" : "";
        _process = CapturedProcess.Start(binary, CapturedProcess.Words(
            $"--no-huge --no-pci -m 512{segments} --file-prefix={prefix} --lcores=0@{cpu} {devices} " +
            $"-- -p 0x3 -q 2 -T 0{(macUpdating ? "" : " --no-mac-updating")}"), unbuffered: true);
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => _process.Output;

    /// <summary>
    /// The l2fwd binary: <c>FLOW_L2FWD</c> if set, else what <c>build-l2fwd.sh</c> (found above the
    /// working directory or the assembly) builds or has cached. Null with a reason when neither works.
    /// </summary>
    public static string? Locate(out string reason) => DpdkExample.Locate("Switch/build-l2fwd.sh", "FLOW_L2FWD", out reason);

    public void Dispose()
    {
        _process.Stop(() => _process.Signal(2)); // SIGINT: l2fwd closes its ports and exits
        _process.Dispose();
    }
}
