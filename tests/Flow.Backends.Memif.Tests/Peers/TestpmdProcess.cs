using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Memif.Tests.Peers;

/// <summary>
/// A <c>dpdk-testpmd</c> with one <c>net_memif</c> port, driven through its interactive prompt
/// (commands on stdin, output parsed), pinned to the last CPU, always killed by pid.
/// </summary>
internal sealed partial class TestpmdProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TestpmdProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

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

    /// <summary>
    /// Starts testpmd with <c>--vdev=net_memif,&lt;vdev&gt;,socket-abstract=no</c> (a socket file,
    /// as Flow uses by default) in forwarding mode
    /// <paramref name="mode"/> (txonly, rxonly, io), not yet forwarding.
    /// </summary>
    public static TestpmdProcess Start(string vdev, string mode, int queues = 1, string extra = "")
    {
        string binary = "/usr/bin/dpdk-testpmd";
        Assert.True(File.Exists(binary), "dpdk-testpmd is required (apt-get install dpdk)");
        Assert.True(Environment.UserName == "root" || geteuid() == 0, "testpmd tests need root");
        int cpu = Environment.ProcessorCount - 1;
        string prefix = $"flowmemif{Environment.ProcessId}{Random.Shared.Next(1_000_000)}";
        // stdbuf: testpmd's stdout is a pipe here, so unbuffer it (stdbuf execs testpmd: same pid).
        var info = new ProcessStartInfo("/usr/bin/stdbuf",
            $"-o0 -e0 {binary} --no-huge --no-pci -m 512 --file-prefix={prefix} --lcores=0@{cpu},1@{cpu} --log-level=pmd.net.memif:info " +
            $"--vdev=net_memif0,{vdev},socket-abstract=no -- --total-num-mbufs=8192 --forward-mode={mode} --rxq={queues} --txq={queues} {extra} -i")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("dpdk-testpmd did not start");
        var testpmd = new TestpmdProcess(process);
        // The prompt has no newline (line-buffered reads never see it): wait for the end of port start-up.
        Assert.True(Waits.TryUntilBlocking(() => Regex.IsMatch(testpmd.Output, @"Checking link statuses\.\.\.[\s\S]*\bDone\b") || process.HasExited, MemifTestNames.Limit),
            "testpmd did not reach its prompt: " + testpmd.Output);
        Assert.False(process.HasExited, "testpmd exited: " + testpmd.Output);
        return testpmd;
    }

    public void Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
    }

    /// <summary>
    /// <c>start</c>, returning once testpmd printed its forwarding set-up (after which it launches
    /// the forwarding cores). Unless started with <c>--no-flush-rx</c>, testpmd drains its rx
    /// queues at this point (flush_fwd_rx_queues): frames sent meanwhile are thrown away.
    /// </summary>
    public void StartForwarding()
    {
        int mark = Output.Length;
        Send("start");
        Assert.True(Waits.TryUntilBlocking(() => Output.Length > mark && Output[mark..].Contains("packets/burst="), MemifTestNames.Limit),
            "testpmd did not start forwarding: " + Output[mark..]);
    }

    /// <summary>Link status as testpmd reports it (memif: up once connected).</summary>
    public bool WaitLinkUp()
    {
        return Waits.TryUntilBlocking(() =>
        {
            int mark = Output.Length;
            Send("show port info 0");
            if (!Waits.TryUntilBlocking(() => Output.Length > mark && Output[mark..].Contains("Link status"), TimeSpan.FromSeconds(5)))
            {
                return false;
            }
            string text = Output[mark..];
            return Regex.IsMatch(text, @"Link status:\s+up");
        }, MemifTestNames.Limit);
    }

    /// <summary>Port 0's NIC counters (the PMD's per-queue sums): packets received and sent.</summary>
    public (long Rx, long Tx) PortStats()
    {
        int mark = Output.Length;
        Send("show port stats 0");
        Assert.True(Waits.TryUntilBlocking(() => Output.Length > mark && Output[mark..].Contains("Tx-bps"), MemifTestNames.Limit),
            "testpmd printed no port stats: " + Output[mark..]);
        string text = Output[mark..];
        long rx = long.Parse(RxPackets().Match(text).Groups[1].Value);
        long tx = long.Parse(TxPackets().Match(text).Groups[1].Value);
        return (rx, tx);
    }

    /// <summary>Port stats until two readings agree (the forwarding loop has settled).</summary>
    public (long Rx, long Tx) SettledPortStats()
    {
        (long, long) last = PortStats();
        for (int i = 0; i < 50; i++)
        {
            Thread.Sleep(20);
            (long, long) now = PortStats();
            if (now == last)
            {
                return now;
            }
            last = now;
        }
        return last;
    }

    [GeneratedRegex(@"RX-packets:\s+(\d+)")]
    private static partial Regex RxPackets();

    [GeneratedRegex(@"TX-packets:\s+(\d+)")]
    private static partial Regex TxPackets();

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>Ends testpmd the way a crash would: SIGKILL, no DISCONNECT message.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            Kill(_process.Id, 9);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try
            {
                Send("quit");
            }
            catch (IOException)
            {
                // stdin already closed: fall through to the signal
            }
            if (!_process.WaitForExit(10_000))
            {
                Kill(_process.Id, 9);
                _process.WaitForExit(10_000);
            }
        }
        _process.Dispose();
    }
}
