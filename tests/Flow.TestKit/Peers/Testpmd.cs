using System.Globalization;
using System.Text.RegularExpressions;

namespace Flow.TestKit;

/// <summary>
/// One <c>dpdk-testpmd</c> peer for interop tests, with no hugepages and no PCI, both lcores on
/// one CPU, its output captured (<see cref="CapturedProcess"/>), ended by its own pid. Shared by the
/// interop tests and the benchmarks. Two ways to drive it:
/// <list type="bullet">
/// <item><see cref="Interactive"/>: at its prompt (<c>-i</c>), commands on stdin and their output
/// parsed (<see cref="Send"/>, <see cref="StartForwarding"/>, <see cref="PortStats"/>); ends with
/// <c>quit</c>, or <see cref="KillHard"/> as a crash would.</item>
/// <item><see cref="Forwarding"/>: forwarding from the start, bounded by <c>timeout -s INT</c>;
/// <see cref="Stop"/> sends SIGINT and returns the accumulated forward statistics.</item>
/// </list>
/// </summary>
public sealed partial class Testpmd : IDisposable
{
    private const string Binary = "/usr/bin/dpdk-testpmd";
    private readonly CapturedProcess _process;
    private readonly bool _interactive;

    private Testpmd(CapturedProcess process, bool interactive)
    {
        _process = process;
        _interactive = interactive;
    }

    /// <summary>Everything testpmd printed so far, stdout and stderr in arrival order.</summary>
    public string Output => _process.Output;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts testpmd at its prompt, ports started, not yet forwarding.</summary>
    public static Testpmd Interactive(TestpmdOptions options)
    {
        Testpmd testpmd = Launch(options, interactive: true);
        // The prompt has no newline (line-buffered reads never see it): wait for the end of port start-up.
        testpmd.WaitForStart(() => Regex.IsMatch(testpmd.Output, @"Checking link statuses\.\.\.[\s\S]*\bDone\b"), "reach its prompt");
        return testpmd;
    }

    /// <summary>Starts testpmd forwarding on its own (no prompt) and returns once it forwards.</summary>
    public static Testpmd Forwarding(TestpmdOptions options)
    {
        Testpmd testpmd = Launch(options, interactive: false);
        testpmd.WaitForStart(() => testpmd.Output.Contains("packet forwarding - ports=", StringComparison.Ordinal), "start forwarding");
        return testpmd;
    }

    private static Testpmd Launch(TestpmdOptions options, bool interactive)
    {
        Shell.RequireRootAnd();
        Shell.Require(Binary, "dpdk");
        string prefix = $"flowpmd{Environment.ProcessId}{Random.Shared.Next(1_000_000)}";
        var command = new List<string>();
        if (options.Namespace is not null)
        {
            command.AddRange(["/usr/sbin/ip", "netns", "exec", options.Namespace]);
        }
        if (!interactive)
        {
            command.AddRange(["timeout", "-s", "INT", options.MaxSeconds.ToString(CultureInfo.InvariantCulture)]);
        }
        // stdbuf: testpmd's stdout is a pipe here, so unbuffer it. ip netns exec, timeout and
        // stdbuf exec what follows: an interactive testpmd keeps the pid started here.
        command.AddRange(["/usr/bin/stdbuf", "-o0", "-e0", Binary, "--no-huge", "--no-pci", "-m", "512", $"--file-prefix={prefix}",
            $"--lcores=0@{options.Cpu},1@{options.Cpu}"]);
        command.AddRange(CapturedProcess.Words(options.EalArguments));
        // DPDK's memif zero-copy client exposes its mempool's memseg file as the shared region: one file.
        if (options.Devices.Any(d => d.Contains("zero-copy=yes", StringComparison.Ordinal)) && !options.EalArguments.Contains("--single-file-segments", StringComparison.Ordinal))
        {
            command.Add("--single-file-segments");
        }
        command.AddRange(options.Devices.Select(d => "--vdev=" + d));
        command.Add("--");
        command.AddRange(CapturedProcess.Words(options.Arguments));
        // Non-interactive: --stats-period keeps testpmd forwarding until SIGINT instead of waiting for Enter.
        command.Add(interactive ? "-i" : "--stats-period=1");
        return new Testpmd(CapturedProcess.Start(command[0], command.Skip(1), withInput: interactive), interactive);
    }

    private void WaitForStart(Func<bool> started, string what)
    {
        if (!Waits.TryUntilBlocking(() => started() || _process.HasExited, TimeSpan.FromSeconds(30)) || _process.HasExited)
        {
            string output = Output;
            Dispose();
            throw new InvalidOperationException($"testpmd did not {what}:\n{output}");
        }
    }

    /// <summary>Interactive: one command at the prompt.</summary>
    public void Send(string command)
    {
        RequireInteractive();
        _process.WriteLine(command);
    }

    /// <summary>
    /// Interactive: <c>start</c>, returning once testpmd printed its forwarding set-up (after which
    /// it launches the forwarding cores). Unless started with <c>--no-flush-rx</c>, testpmd drains
    /// its rx queues at this point (flush_fwd_rx_queues): frames sent meanwhile are thrown away.
    /// </summary>
    public void StartForwarding()
    {
        int mark = Output.Length;
        Send("start");
        Expect(mark, "packets/burst=", Waits.Limit, "start forwarding");
    }

    /// <summary>Interactive: link status as testpmd reports it (memif: up once connected).</summary>
    public bool WaitLinkUp(int port = 0)
    {
        return Waits.TryUntilBlocking(() =>
        {
            int mark = Output.Length;
            Send($"show port info {port}");
            return Waits.TryUntilBlocking(() => Output.Length > mark && Output[mark..].Contains("Link status", StringComparison.Ordinal), TimeSpan.FromSeconds(5)) &&
                LinkUp().IsMatch(Output[mark..]);
        }, Waits.Limit);
    }

    /// <summary>Interactive: a port's NIC counters (the PMD's per-queue sums), packets received and sent.</summary>
    public (long Rx, long Tx) PortStats(int port = 0)
    {
        int mark = Output.Length;
        Send($"show port stats {port}");
        string text = Expect(mark, "Tx-bps", Waits.Limit, "print port stats");
        return (Count(RxPackets().Match(text)), Count(TxPackets().Match(text)));
    }

    /// <summary>Interactive: the NIC counters of ports 0..<paramref name="ports"/>-1 from one <c>show port stats all</c>.</summary>
    public (long Rx, long Tx)[] AllPortStats(int ports)
    {
        int mark = Output.Length;
        Send("show port stats all");
        if (!Waits.TryUntilBlocking(() => Output.Length > mark && TxBps().Matches(Output[mark..]).Count >= ports, Waits.Limit))
        {
            throw new InvalidOperationException($"testpmd did not print port stats: {Output[Math.Min(mark, Output.Length)..]}");
        }
        string text = Output[mark..];
        MatchCollection rx = RxPackets().Matches(text);
        MatchCollection tx = TxPackets().Matches(text);
        var stats = new (long Rx, long Tx)[ports];
        for (int port = 0; port < ports; port++)
        {
            stats[port] = (Count(rx[port]), Count(tx[port]));
        }
        return stats;
    }

    /// <summary>Interactive: port stats until two readings 20 ms apart agree (the forwarding loop has settled).</summary>
    public (long Rx, long Tx) SettledPortStats(int port = 0)
    {
        (long, long) last = PortStats(port);
        for (int i = 0; i < 50; i++)
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

    /// <summary>Forwarding: stops testpmd with SIGINT and returns its accumulated forward statistics, packets received and sent.</summary>
    public (long Rx, long Tx) Stop()
    {
        if (_interactive)
        {
            throw new InvalidOperationException("an interactive testpmd is read with PortStats and ended by Dispose");
        }
        if (!_process.HasExited)
        {
            _process.Signal(Interop.Sys.SIGINT);
        }
        try
        {
            _process.WaitForExitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"testpmd did not stop on SIGINT:\n{Output}");
        }
        string text = Output;
        int at = text.LastIndexOf("Accumulated forward statistics", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException($"testpmd printed no forward statistics:\n{text}");
        }
        return (Count(RxPackets().Match(text, at)), Count(TxPackets().Match(text, at)));
    }

    /// <summary>Ends testpmd the way a crash would: SIGKILL, no goodbye to its peers.</summary>
    public void KillHard() => _process.Kill();

    public void Dispose()
    {
        _process.Stop(() =>
        {
            try
            {
                if (_interactive)
                {
                    Send("quit");
                }
                else
                {
                    _process.Signal(Interop.Sys.SIGINT);
                }
            }
            catch (IOException)
            {
                // stdin already closed: the SIGKILL after the wait ends it
            }
        });
        _process.Dispose();
    }

    private void RequireInteractive()
    {
        if (!_interactive)
        {
            throw new InvalidOperationException("testpmd was started forwarding, without a prompt");
        }
    }

    /// <summary>The output after <paramref name="mark"/> once it holds <paramref name="text"/>; throws with the output when it does not in time.</summary>
    private string Expect(int mark, string text, TimeSpan limit, string what)
    {
        if (!Waits.TryUntilBlocking(() => Output.Length > mark && Output[mark..].Contains(text, StringComparison.Ordinal), limit))
        {
            throw new InvalidOperationException($"testpmd did not {what}: {Output[Math.Min(mark, Output.Length)..]}");
        }
        return Output[mark..];
    }

    private long Count(Match m) => m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
        : throw new InvalidOperationException($"testpmd printed no packet count where one was expected:\n{Output}");

    [GeneratedRegex(@"RX-packets:\s+(\d+)")]
    private static partial Regex RxPackets();

    [GeneratedRegex(@"TX-packets:\s+(\d+)")]
    private static partial Regex TxPackets();

    [GeneratedRegex(@"Tx-bps:")]
    private static partial Regex TxBps();

    [GeneratedRegex(@"Link status:\s+up")]
    private static partial Regex LinkUp();
}
