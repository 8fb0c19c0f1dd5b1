using System.Text.Json;
using Flow.Samples.Iperf3OnFlow;
using Flow.TestKit;
using Xunit;

namespace Flow.Net.Tests;

/// <summary>
/// Linux's iperf3 client (Debian 12: 3.12) against <see cref="Iperf3Server"/> on Flow's stack
/// (<see cref="StackHost"/>), TCP and UDP, each way:
/// <code>
///  ns host: iperf3 -c 10.9.0.2 -J ─veth─ stack 10.9.0.2: Iperf3Server on port 5201 (TCP control and data, UDP data)
/// </code>
/// The client's exit code says the protocol ran to its end (parameters, streams, results
/// exchanged); its JSON report says what crossed, and its receiver figures are the server's own
/// counts for a test towards the stack. iperf3 does not check the bytes it carries: the netcat
/// tests (<c>Tcp/NetcatNetnsTests</c>) do.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class Iperf3NetnsTests
{
    private const int Megabyte = 1_000_000;

    [Fact]
    public async Task TcpFromALinuxClientToTheStack()
    {
        using var host = new StackHost();
        (JsonDocument report, Iperf3TestSummary server) = await MeasureAsync(host, "-t", "2");
        using (report)
        {
            JsonElement end = report.RootElement.GetProperty("end");
            long sent = Bytes(end, "sum_sent"), received = Bytes(end, "sum_received");
            Assert.True(received > 20 * Megabyte, $"only {received} bytes reached the stack in 2 s");
            Assert.InRange(received, sent - (4 * Megabyte), sent);
            Assert.Equal(server.Bytes, received);
        }
    }

    [Fact]
    public async Task TcpFromTheStackToALinuxClient()
    {
        using var host = new StackHost();
        (JsonDocument report, Iperf3TestSummary server) = await MeasureAsync(host, "-t", "2", "-R");
        using (report)
        {
            JsonElement end = report.RootElement.GetProperty("end");
            long sent = Bytes(end, "sum_sent"), received = Bytes(end, "sum_received");
            Assert.True(received > 20 * Megabyte, $"only {received} bytes reached Linux in 2 s");
            Assert.Equal(server.Bytes, sent);
            Assert.InRange(received, sent - (4 * Megabyte), sent);
        }
    }

    [Fact]
    public async Task ThreeTcpStreamsFromALinuxClientToTheStack()
    {
        using var host = new StackHost();
        (JsonDocument report, Iperf3TestSummary server) = await MeasureAsync(host, "-t", "2", "-P", "3");
        using (report)
        {
            JsonElement end = report.RootElement.GetProperty("end");
            JsonElement[] streams = [.. end.GetProperty("streams").EnumerateArray()];
            Assert.Equal(3, streams.Length);
            foreach (JsonElement stream in streams)
            {
                Assert.True(stream.GetProperty("receiver").GetProperty("bytes").GetInt64() > Megabyte, stream.ToString());
            }
            Assert.Equal(server.Bytes, Bytes(end, "sum_received"));
        }
    }

    /// <summary>50 Mbit/s of datagrams the size of the control connection's MSS (1460 bytes), so about 8 500 in 2 s.</summary>
    [Fact]
    public async Task UdpFromALinuxClientToTheStack()
    {
        using var host = new StackHost();
        (JsonDocument report, Iperf3TestSummary server) = await MeasureAsync(host, "-t", "2", "-u", "-b", "50M");
        using (report)
        {
            JsonElement sum = report.RootElement.GetProperty("end").GetProperty("sum");
            long packets = sum.GetProperty("packets").GetInt64();
            Assert.True(packets > 7_000, $"only {packets} datagrams counted: {sum}");
            Assert.True(sum.GetProperty("lost_percent").GetDouble() < 1, $"too many lost: {sum}");
            Assert.Equal(server.Packets, packets);
            Assert.Equal(server.LostPackets, sum.GetProperty("lost_packets").GetInt64());
        }
    }

    [Fact]
    public async Task UdpFromTheStackToALinuxClient()
    {
        using var host = new StackHost();
        (JsonDocument report, Iperf3TestSummary server) = await MeasureAsync(host, "-t", "2", "-u", "-b", "50M", "-R");
        using (report)
        {
            JsonElement sum = report.RootElement.GetProperty("end").GetProperty("sum");
            long packets = sum.GetProperty("packets").GetInt64();
            Assert.True(packets > 7_000, $"only {packets} datagrams counted: {sum}");
            Assert.True(sum.GetProperty("lost_percent").GetDouble() < 1, $"too many lost: {sum}");
            // The client counts up to the highest packet number it saw; the server sent at least that many.
            Assert.InRange(packets, 1, server.Packets);
        }
    }

    /// <summary>
    /// Runs the Linux client against a server on the stack, at most 30 s; fails with the client's
    /// output unless it exits 0 with a report and the server saw the test through.
    /// </summary>
    private static async Task<(JsonDocument Report, Iperf3TestSummary Server)> MeasureAsync(StackHost host, params string[] options)
    {
        Shell.Require("iperf3", "iperf3");
        var server = new Iperf3Server(host.Stack);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Task serving = server.RunAsync(stop.Token);
        ShellResult client = host.Host.TryExec(TimeSpan.FromSeconds(30), ["iperf3", "-c", StackHost.StackAddress, "-J", "--connect-timeout", "5000", .. options]);
        await stop.CancelAsync();
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(client.ExitCode == 0, $"iperf3 {string.Join(' ', options)} exited with {client.ExitCode}: {client.Output}");
        Assert.Equal(1, server.TestsCompleted);
        return (JsonDocument.Parse(client.StandardOutput), server.LastTest!);
    }

    private static long Bytes(JsonElement end, string sum) => end.GetProperty(sum).GetProperty("bytes").GetInt64();
}
