using System.Text.RegularExpressions;

namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// A <c>dpdk-testpmd</c> with net_memif ports, driven through its prompt, pinned to one CPU,
/// killed by pid. Shared by the <c>memif</c> and <c>switch</c> scenarios.
/// </summary>
internal sealed partial class TestpmdPeer : IDisposable
{
    private readonly CapturedProcess _process;

    private TestpmdPeer(CapturedProcess process) => _process = process;

    public string Output => _process.Output;

    /// <summary>
    /// One net_memif port (<paramref name="vdev"/>: its devargs) in forwarding mode <paramref name="mode"/>.
    /// A devargs with <c>zero-copy=yes</c> gets the <c>--single-file-segments</c> DPDK's memif
    /// zero-copy client needs (it exposes the mempool's memseg file as the shared region).
    /// </summary>
    public static TestpmdPeer Start(string vdev, string mode, int cpu) =>
        Start([$"net_memif0,{vdev}"], $"--total-num-mbufs=8192 --forward-mode={mode}", cpu);

    /// <summary>
    /// Ports from <paramref name="vdevs"/> (full <c>--vdev</c> values) with testpmd application
    /// arguments <paramref name="appArgs"/>, main and forwarding lcores both on <paramref name="cpu"/>,
    /// inside network namespace <paramref name="netns"/> when given (<c>ip netns exec</c> execs
    /// testpmd in place, so the pid stays testpmd's).
    /// </summary>
    public static TestpmdPeer Start(IReadOnlyList<string> vdevs, string appArgs, int cpu, string? netns = null)
    {
        string prefix = $"flowbench{Environment.ProcessId}{Random.Shared.Next(1_000_000)}";
        string devices = string.Join(" ", vdevs.Select(v => "--vdev=" + v));
        string segments = vdevs.Any(v => v.Contains("zero-copy=yes", StringComparison.Ordinal)) ? " --single-file-segments" : "";
        string arguments = $"--no-huge --no-pci -m 512{segments} --file-prefix={prefix} --lcores=0@{cpu},1@{cpu} {devices} -- {appArgs} -i";
        var peer = new TestpmdPeer(netns is null
            ? CapturedProcess.Start("/usr/bin/dpdk-testpmd", arguments, withInput: true)
            : CapturedProcess.Start("/usr/sbin/ip", $"netns exec {netns} /usr/bin/dpdk-testpmd {arguments}", withInput: true));
        if (!Wait(() => Regex.IsMatch(peer.Output, @"Checking link statuses\.\.\.[\s\S]*\bDone\b") || peer._process.HasExited, 20))
        {
            peer.Dispose();
            throw new InvalidOperationException("testpmd did not start: " + peer.Output);
        }
        return peer;
    }

    public void Send(string command) => _process.WriteLine(command);

    public bool HasExited => _process.HasExited;

    public bool WaitLinkUp(int port = 0) => Wait(() =>
    {
        int mark = Output.Length;
        Send($"show port info {port}");
        return Wait(() => Output.Length > mark && Output[mark..].Contains("Link status"), 5) &&
            Regex.IsMatch(Output[mark..], @"Link status:\s+up");
    }, 20);

    /// <summary>A port's NIC counters: packets received, packets sent.</summary>
    public (long Rx, long Tx) PortStats(int port = 0)
    {
        int mark = Output.Length;
        Send($"show port stats {port}");
        if (!Wait(() => Output.Length > mark && Output[mark..].Contains("Tx-bps"), 10))
        {
            throw new InvalidOperationException("testpmd printed no port stats");
        }
        string text = Output[mark..];
        return (long.Parse(RxPackets().Match(text).Groups[1].Value), long.Parse(TxPackets().Match(text).Groups[1].Value));
    }

    /// <summary>NIC counters of ports 0..<paramref name="ports"/>-1 from one <c>show port stats all</c>.</summary>
    public (long Rx, long Tx)[] AllPortStats(int ports)
    {
        int mark = Output.Length;
        Send("show port stats all");
        if (!Wait(() => Output.Length > mark && TxBps().Matches(Output[mark..]).Count >= ports, 10))
        {
            throw new InvalidOperationException("testpmd printed no port stats");
        }
        string text = Output[mark..];
        MatchCollection rx = RxPackets().Matches(text);
        MatchCollection tx = TxPackets().Matches(text);
        var stats = new (long Rx, long Tx)[ports];
        for (int port = 0; port < ports; port++)
        {
            stats[port] = (long.Parse(rx[port].Groups[1].Value), long.Parse(tx[port].Groups[1].Value));
        }
        return stats;
    }

    /// <summary>A port's counters once two readings 20 ms apart agree (at most ~2 s).</summary>
    public (long Rx, long Tx) SettledPortStats(int port = 0)
    {
        (long, long) last = PortStats(port);
        for (int i = 0; i < 100; i++)
        {
            Thread.Sleep(20);
            (long, long) now = PortStats(port);
            if (now == last)
            {
                return now;
            }
            last = now;
        }
        return last;
    }

    public static bool Wait(Func<bool> condition, double seconds)
    {
        long deadline = Environment.TickCount64 + (long)(seconds * 1000);
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            Thread.Sleep(5);
        }
        return true;
    }

    [GeneratedRegex(@"RX-packets:\s+(\d+)")]
    private static partial Regex RxPackets();

    [GeneratedRegex(@"TX-packets:\s+(\d+)")]
    private static partial Regex TxPackets();

    [GeneratedRegex(@"Tx-bps:")]
    private static partial Regex TxBps();

    public void Dispose()
    {
        _process.Stop(() =>
        {
            try
            {
                Send("quit");
            }
            catch (IOException)
            {
                // stdin closed already; the SIGKILL after the wait ends it
            }
        });
        _process.Dispose();
    }
}
