using System.Diagnostics;
using System.Net.Sockets;
using Flow.Net.Tcp;
using Flow.Net.Udp;

namespace Flow.Samples.Iperf3OnFlow;

/// <summary>The data of a test's streams, either side: TCP writes or reads, UDP datagrams paced to the test's rate.</summary>
internal static class Iperf3Transfers
{
    /// <summary>
    /// Datagrams a test's UDP socket holds for its reader: 50 Mbit/s of 1460-byte datagrams is
    /// 4 300 a second, so 512 cover 120 ms of the reader falling behind; past this, the socket drops
    /// (<c>socket_full</c>). The stack bounds what all sockets hold of the port's own frames
    /// (<see cref="Flow.Net.Udp.UdpReceiveMemory"/>), so a longer queue would not stall receiving.
    /// </summary>
    public const int UdpQueueLength = 512;

    /// <summary>
    /// Moves one stream's data until the test ends (<paramref name="stop"/>): sends when
    /// <paramref name="sending"/>, else receives (UDP through <paramref name="udp"/>, the stream's
    /// own socket). A stream the peer breaks just stops; the test goes on with the others.
    /// A sender counts whole writes: bytes of the write the test's end cuts short may cross uncounted.
    /// </summary>
    public static async Task RunAsync(Iperf3Stream stream, bool sending, Iperf3Params p, FlowUdpSocket? udp, TextWriter log, CancellationToken stop)
    {
        try
        {
            if (stream.Tcp is { } tcp)
            {
                await (sending ? SendTcpAsync(tcp, stream, p, stop) : ReceiveTcpAsync(tcp, stream, stop)).ConfigureAwait(false);
            }
            else
            {
                await (sending ? SendUdpAsync(udp!, stream, p, stop) : ReceiveUdpAsync(udp!, stream, p, stop)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            log.WriteLine($"stream {stream.Id} failed: {e.Message}");
        }
    }

    /// <summary>The microsecond clock of the UDP header: Unix time, as gettimeofday gives.</summary>
    public static long NowMicroseconds() => (DateTimeOffset.UtcNow.Ticks - DateTimeOffset.UnixEpoch.Ticks) / 10;

    private static async Task ReceiveTcpAsync(FlowTcpStream tcp, Iperf3Stream stream, CancellationToken stop)
    {
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = await tcp.ReadAsync(buffer, stop).ConfigureAwait(false)) > 0)
        {
            stream.CountBytes(n);
        }
    }

    private static async Task SendTcpAsync(FlowTcpStream tcp, Iperf3Stream stream, Iperf3Params p, CancellationToken stop)
    {
        byte[] block = new byte[p.Length];
        Random.Shared.NextBytes(block);
        long started = Stopwatch.GetTimestamp();
        while (!stop.IsCancellationRequested && !SentEnough(stream, p))
        {
            await PaceAsync(stream, p, started, stop).ConfigureAwait(false);
            await tcp.WriteAsync(block, stop).ConfigureAwait(false);
            stream.CountBytes(block.Length);
        }
    }

    private static async Task ReceiveUdpAsync(FlowUdpSocket udp, Iperf3Stream stream, Iperf3Params p, CancellationToken stop)
    {
        while (true)
        {
            using FlowDatagram datagram = await udp.ReceiveDatagramAsync(stop).ConfigureAwait(false);
            stream.CountReceivedDatagram(datagram.Payload, p.UdpCounters64Bit, NowMicroseconds());
        }
    }

    private static async Task SendUdpAsync(FlowUdpSocket udp, Iperf3Stream stream, Iperf3Params p, CancellationToken stop)
    {
        byte[] datagram = new byte[p.Length];
        Random.Shared.NextBytes(datagram);
        long started = Stopwatch.GetTimestamp();
        long count = 0;
        while (!stop.IsCancellationRequested && !SentEnough(stream, p))
        {
            await PaceAsync(stream, p, started, stop).ConfigureAwait(false);
            Iperf3UdpHeader.Write(datagram, NowMicroseconds(), count + 1, p.UdpCounters64Bit);
            try
            {
                await udp.SendToAsync(datagram, stream.UdpPeer!, stop).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
            {
                // Every frame of the stack's send pool is in flight: wait for some to come back, as a full qdisc makes Linux's sender wait.
                await Task.Delay(1, stop).ConfigureAwait(false);
                continue;
            }
            count++;
            stream.CountSentDatagram(datagram.Length);
        }
    }

    // -n splits the bytes over the streams; iperf3 counts them for the whole test.
    private static bool SentEnough(Iperf3Stream stream, Iperf3Params p) => p.Bytes > 0 && stream.Bytes >= p.Bytes / p.Parallel;

    /// <summary>Holds a stream to its <c>-b</c> rate as iperf3 does: it sends while its average since the start is below the rate.</summary>
    private static async Task PaceAsync(Iperf3Stream stream, Iperf3Params p, long started, CancellationToken stop)
    {
        while (p.Bandwidth > 0 && stream.Bytes * 8.0 >= p.Bandwidth * Stopwatch.GetElapsedTime(started).TotalSeconds)
        {
            await Task.Delay(1, stop).ConfigureAwait(false);
        }
    }
}
