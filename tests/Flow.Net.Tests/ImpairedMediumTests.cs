using System.Globalization;
using System.Text.RegularExpressions;
using Flow.TestKit;
using Xunit;

namespace Flow.Net.Tests;

/// <summary>
/// The impaired medium of <see cref="ImpairedStackHost"/> itself, checked from outside it: ping's
/// round trip grows by the delay of both ways, and a numbered burst of datagrams, captured by
/// tcpdump where the stack receives it, arrives out of order when frames are held back.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed partial class ImpairedMediumTests
{
    private const int Datagrams = 200;
    private const int FirstSourcePort = 20000;

    [Fact]
    public async Task TheMediumDelaysBothWaysAndReordersTheFramesItHoldsBack()
    {
        Shell.Require("tcpdump", "tcpdump");
        using var host = new ImpairedStackHost(new Impairment(DelayMs: 20, ReorderPercent: 20, HoldMs: 5));

        // The stack answers echo requests itself, so the round trip is the medium's two delays plus
        // the stack's turnaround; a held frame adds at most 5 ms each way.
        double fastest = FastestRoundTripMs(host.Host.Exec("ping", "-c", "5", "-i", "0.2", "-W", "2", StackHost.StackAddress));
        Assert.InRange(fastest, 40.0, 40.0 + 10.0 + 15.0);

        // Datagram i leaves from source port 20000 + i, so the order tcpdump prints is the order they arrived in.
        using CapturedProcess capture = CapturedProcess.Start("timeout",
            ["20", "tcpdump", "-i", host.StackInterface, "-n", "-l", "-q", "-c", Datagrams.ToString(CultureInfo.InvariantCulture), "udp and dst port 9999"]);
        Assert.True(capture.WaitForOutput(0, "listening on", TimeSpan.FromSeconds(10)), $"tcpdump did not start: {capture.Output}");
        host.Python($"""
            import socket
            for i in range({Datagrams}):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(('{StackHost.HostAddress}', {FirstSourcePort} + i))
                s.sendto(b'%d' % i, ('{StackHost.StackAddress}', 9999))
                s.close()
            """);
        await capture.WaitForExitAsync(TimeSpan.FromSeconds(30));
        int[] order = [.. CapturedDatagram().Matches(capture.Stdout).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - FirstSourcePort)];
        (MediumCounters toStack, _) = await host.StopMediumAsync();

        Assert.Equal(Enumerable.Range(0, Datagrams), order.Order());
        int overtaken = order.Where((n, i) => order.Skip(i + 1).Any(later => later < n)).Count();
        Assert.True(overtaken > 0, $"no datagram was overtaken: {string.Join(' ', order)}");
        Assert.True(toStack.Held > 0 && toStack.Overtaken > 0, toStack.ToString());
        Assert.Equal(0, toStack.Dropped);
    }

    private static double FastestRoundTripMs(string ping)
    {
        Match summary = RoundTripSummary().Match(ping);
        Assert.True(summary.Success, $"no round-trip summary in ping's output: {ping}");
        return double.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"rtt min/avg/max/mdev = ([\d.]+)/")]
    private static partial Regex RoundTripSummary();

    [GeneratedRegex(@"10\.9\.0\.1\.(\d+) > 10\.9\.0\.2\.9999: UDP")]
    private static partial Regex CapturedDatagram();
}
