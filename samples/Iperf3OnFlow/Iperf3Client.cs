using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Flow.Net;
using Flow.Net.Tcp;
using Flow.Net.Udp;

namespace Flow.Samples.Iperf3OnFlow;

/// <summary>
/// An iperf3 client on Flow's stack: runs one test against an iperf3 server (Linux's
/// <c>iperf3 -s</c>, or <see cref="Iperf3Server"/>) — TCP or UDP, either way, one or more streams —
/// and returns both sides' counts. The protocol is the one <see cref="Iperf3Server"/> describes,
/// from the other end. The test ends after <see cref="Iperf3Params.Seconds"/>, or, sending with
/// <see cref="Iperf3Params.Bytes"/> set, once they are sent.
/// </summary>
public sealed class Iperf3Client
{
    /// <summary>The UDP greeting, 0x36373839 as an x86 iperf3 writes it (host order, little-endian).</summary>
    private const int UdpConnectMessage = 0x36373839;

    private static readonly TimeSpan UdpGreetingTimeout = TimeSpan.FromSeconds(10);

    private readonly FlowStack _stack;
    private readonly TextWriter _log;

    public Iperf3Client(FlowStack stack, TextWriter? log = null)
    {
        _stack = stack;
        _log = log ?? TextWriter.Null;
    }

    /// <summary>
    /// Runs <paramref name="test"/> against the server at <paramref name="server"/>. Fails with an
    /// <see cref="Iperf3RefusedException"/> when the server turns it down, an
    /// <see cref="InvalidDataException"/> when it answers out of turn, an <see cref="IOException"/> or
    /// <see cref="System.Net.Sockets.SocketException"/> when the connection breaks.
    /// </summary>
    public async Task<Iperf3ClientResult> RunAsync(IPEndPoint server, Iperf3Params test, CancellationToken cancellationToken = default)
    {
        byte[] cookie = MakeCookie();
        await using FlowTcpStream control = await _stack.ConnectTcpAsync(server, cancellationToken).ConfigureAwait(false);
        control.NoDelay = true;
        await control.WriteAsync(cookie, cancellationToken).ConfigureAwait(false);
        await ExpectAsync(control, Iperf3State.ParamExchange, cancellationToken).ConfigureAwait(false);
        await Iperf3Control.WriteJsonAsync(control, w => WriteParams(w, test), cancellationToken).ConfigureAwait(false);
        await ExpectAsync(control, Iperf3State.CreateStreams, cancellationToken).ConfigureAwait(false);

        var streams = new List<Iperf3Stream>();
        var sockets = new List<FlowUdpSocket>();
        try
        {
            for (int i = 0; i < test.Parallel; i++)
            {
                int id = i == 0 ? 1 : i + 2;
                if (test.Udp)
                {
                    FlowUdpSocket udp = _stack.CreateUdpSocket(Iperf3Transfers.UdpQueueLength);
                    sockets.Add(udp);
                    await GreetAsync(udp, server, cancellationToken).ConfigureAwait(false);
                    streams.Add(new Iperf3Stream(id, tcp: null, server));
                }
                else
                {
                    FlowTcpStream tcp = await _stack.ConnectTcpAsync(server, cancellationToken).ConfigureAwait(false);
                    streams.Add(new Iperf3Stream(id, tcp, udpPeer: null));
                    await tcp.WriteAsync(cookie, cancellationToken).ConfigureAwait(false);
                }
            }
            await ExpectAsync(control, Iperf3State.TestStart, cancellationToken).ConfigureAwait(false);
            await ExpectAsync(control, Iperf3State.TestRunning, cancellationToken).ConfigureAwait(false);

            var measurement = new Iperf3Measurement();
            bool sending = !test.Reverse;
            using var stopStreams = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task transfers = Task.WhenAll(streams.Select((s, i) => Iperf3Transfers.RunAsync(s, sending, test, test.Udp ? sockets[i] : null, _log, stopStreams.Token)));
            Task timeUp = Task.Delay(test.Seconds > 0 ? TimeSpan.FromSeconds(test.Seconds) : Timeout.InfiniteTimeSpan, cancellationToken);
            await (sending && test.Bytes > 0 ? Task.WhenAny(transfers, timeUp) : timeUp).ConfigureAwait(false);
            measurement.Stop();
            await stopStreams.CancelAsync().ConfigureAwait(false);
            await transfers.ConfigureAwait(false);

            await Iperf3Control.WriteStateAsync(control, Iperf3State.TestEnd, cancellationToken).ConfigureAwait(false);
            await ExpectAsync(control, Iperf3State.ExchangeResults, cancellationToken).ConfigureAwait(false);
            await Iperf3Control.WriteJsonAsync(control, w => measurement.WriteResults(w, streams, sending), cancellationToken).ConfigureAwait(false);
            Iperf3TestSummary serverSide;
            using (JsonDocument results = await Iperf3Control.ReadJsonAsync(control, cancellationToken).ConfigureAwait(false))
            {
                serverSide = ServerSummary(results.RootElement, test, measurement.Duration);
            }
            await ExpectAsync(control, Iperf3State.DisplayResults, cancellationToken).ConfigureAwait(false);
            await Iperf3Control.WriteStateAsync(control, Iperf3State.IperfDone, cancellationToken).ConfigureAwait(false);

            var clientSide = new Iperf3TestSummary(test, measurement.Duration, streams.Sum(s => s.Bytes), streams.Sum(s => s.Packets), sending ? 0 : streams.Sum(s => s.Errors));
            _log.WriteLine($"{server}: client {clientSide}; server {serverSide}");
            return new Iperf3ClientResult(clientSide, serverSide);
        }
        finally
        {
            foreach (Iperf3Stream s in streams)
            {
                s.Tcp?.Dispose();
            }
            foreach (FlowUdpSocket udp in sockets)
            {
                await udp.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>36 characters of iperf3's cookie alphabet (a–z, 2–7) and a NUL.</summary>
    private static byte[] MakeCookie()
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        byte[] cookie = new byte[Iperf3Control.CookieLength];
        for (int i = 0; i < cookie.Length - 1; i++)
        {
            cookie[i] = (byte)Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return cookie;
    }

    /// <summary>Tells the server a UDP stream is there and waits for its answer (any 4 bytes: older servers answer 987654321).</summary>
    private static async Task GreetAsync(FlowUdpSocket udp, IPEndPoint server, CancellationToken cancellationToken)
    {
        udp.Connect(server);
        byte[] greeting = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(greeting, UdpConnectMessage);
        await udp.SendAsync(greeting, cancellationToken).ConfigureAwait(false);
        byte[] reply = new byte[4];
        await udp.ReceiveAsync(reply, cancellationToken).AsTask().WaitAsync(UdpGreetingTimeout, cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExpectAsync(FlowTcpStream control, Iperf3State expected, CancellationToken cancellationToken)
    {
        Iperf3State state = await Iperf3Control.ReadStateAsync(control, cancellationToken).ConfigureAwait(false);
        if (state == Iperf3State.ServerError)
        {
            byte[] codes = new byte[8];
            await control.ReadExactlyAsync(codes, cancellationToken).ConfigureAwait(false);
            int iperfError = BinaryPrimitives.ReadInt32BigEndian(codes);
            throw new Iperf3RefusedException($"the server refused the test: iperf3 error {iperfError}, errno {BinaryPrimitives.ReadInt32BigEndian(codes.AsSpan(4))}", iperfError);
        }
        if (state == Iperf3State.AccessDenied)
        {
            throw new Iperf3RefusedException("the server is busy with another test");
        }
        if (state != expected)
        {
            throw new InvalidDataException($"the server sent {state} where {expected} was due");
        }
    }

    private static void WriteParams(Utf8JsonWriter w, Iperf3Params test)
    {
        w.WriteBoolean(test.Udp ? "udp" : "tcp", true);
        w.WriteNumber("omit", 0);
        w.WriteNumber("time", test.Seconds);
        w.WriteNumber("num", test.Bytes);
        w.WriteNumber("blockcount", 0);
        w.WriteNumber("parallel", test.Parallel);
        if (test.Reverse)
        {
            w.WriteBoolean("reverse", true);
        }
        w.WriteNumber("len", test.Length);
        if (test.Bandwidth > 0)
        {
            w.WriteNumber("bandwidth", test.Bandwidth);
        }
        w.WriteNumber("pacing_timer", 1000);
        if (test.UdpCounters64Bit)
        {
            w.WriteNumber("udp_counters_64bit", 1);
        }
    }

    private static Iperf3TestSummary ServerSummary(JsonElement results, Iperf3Params test, TimeSpan duration)
    {
        long bytes = 0, packets = 0, lost = 0;
        foreach (JsonElement stream in results.GetProperty("streams").EnumerateArray())
        {
            bytes += (long)stream.GetProperty("bytes").GetDouble();
            packets += (long)stream.GetProperty("packets").GetDouble();
            lost += (long)stream.GetProperty("errors").GetDouble();
        }
        return new Iperf3TestSummary(test, duration, bytes, packets, test.Reverse ? 0 : lost);
    }
}
