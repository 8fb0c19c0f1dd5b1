using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Flow.TestKit;

namespace Flow.Backends.AfXdp.Tests.Infrastructure;

/// <summary>
/// dpdk-testpmd with the net_af_xdp PMD on the peer end of a <see cref="PeerVeth"/>, run inside
/// its namespace with no hugepages and its lcores on CPU 1; bounded by `timeout` and stopped with SIGINT.
/// </summary>
internal sealed partial class Testpmd : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Testpmd(PeerVeth veth, string forwardArguments, int maxSeconds = 60)
    {
        Shell.Require("dpdk-testpmd", "dpdk");
        string command =
            $"netns exec {veth.Namespace} timeout -s INT {maxSeconds} dpdk-testpmd --no-huge --no-pci -m 512 --lcores=0@1,1@1 " +
            $"--file-prefix=flowxdp{Environment.ProcessId} --vdev=net_af_xdp0,iface={veth.Peer} -- " +
            $"--total-num-mbufs=8192 --rxd=1024 --txd=1024 --stats-period=1 {forwardArguments}";
        _process = Shell.Begin("ip", command.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!_started.Task.Wait(TimeSpan.FromSeconds(30)))
        {
            Dispose();
            throw new TimeoutException($"testpmd did not start forwarding within 30 s:\n{Output}");
        }
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

    private void Append(string? line)
    {
        if (line is null)
        {
            _started.TrySetResult();
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
        if (line.Contains("packet forwarding - ports=", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }

    /// <summary>Stops testpmd with SIGINT and returns its accumulated RX and TX packet counts.</summary>
    public (long Rx, long Tx) Stop()
    {
        if (!_process.HasExited)
        {
            Shell.TryRun(TimeSpan.FromSeconds(30), "kill", "-INT", _process.Id.ToString(CultureInfo.InvariantCulture));
        }
        if (!_process.WaitForExit(20_000))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"testpmd did not stop on SIGINT:\n{Output}");
        }
        _process.WaitForExit();
        string text = Output;
        int at = text.LastIndexOf("Accumulated forward statistics", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException($"testpmd printed no forward statistics:\n{text}");
        }
        string tail = text[at..];
        return (Count(RxPackets().Match(tail)), Count(TxPackets().Match(tail)));
    }

    private static long Count(Match m) => m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"RX-packets:\s+(\d+)")]
    private static partial Regex RxPackets();

    [GeneratedRegex(@"TX-packets:\s+(\d+)")]
    private static partial Regex TxPackets();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Shell.TryRun(TimeSpan.FromSeconds(30), "kill", "-INT", _process.Id.ToString(CultureInfo.InvariantCulture));
            if (!_process.WaitForExit(20_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
