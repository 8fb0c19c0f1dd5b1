using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Flow.Net.Tcp;
using Flow.Net.Udp;

namespace Flow.Samples.Iperf3OnFlow;

/// <summary>
/// One test on the server's side, from the client's cookie on the control connection to its
/// <see cref="Iperf3State.IperfDone"/> (iperf_server_api.c):
/// <code>
///  client                                  server (this)
///  cookie (37 bytes)                  ──>
///                                     &lt;──  PARAM_EXCHANGE
///  parameters (length, JSON)          ──>
///                                     &lt;──  CREATE_STREAMS
///  TCP: a connection per stream, each sends the cookie
///  UDP: a datagram per stream (4 bytes) ──> answered by one of 4 bytes
///                                     &lt;──  TEST_START, TEST_RUNNING
///  ... data one way for the test's time ...
///  TEST_END                           ──>
///                                     &lt;──  EXCHANGE_RESULTS
///  its results (length, JSON)         ──>
///                                     &lt;──  its results (length, JSON), DISPLAY_RESULTS
///  IPERF_DONE                         ──>
/// </code>
/// </summary>
internal sealed class Iperf3Session : IDisposable
{
    /// <summary>The client's UDP greeting, 0x36373839, and the server's answer, 0x39383736 (iperf_udp.h), each in its sender's byte order.</summary>
    private const int UdpConnectMessage = 0x36373839;
    private const int UdpConnectReply = 0x39383736;

    // A client makes its streams right after CREATE_STREAMS; one that has not within this time is gone.
    private static readonly TimeSpan StreamSetupTimeout = TimeSpan.FromSeconds(10);

    private readonly FlowTcpListener _listener;
    private readonly FlowUdpSocket _udp;
    private readonly FlowTcpStream _control;
    private readonly byte[] _cookie;
    private readonly TextWriter _log;
    // The UDP receive loop adds UDP streams while the test waits for them (under _udpLock); after
    // _udpStreamsJoined completes only the test reads the list.
    private readonly List<Iperf3Stream> _streams = [];
    private readonly Dictionary<long, Iperf3Stream> _udpStreams = [];
    private readonly Lock _udpLock = new();
    private readonly TaskCompletionSource _udpStreamsJoined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Iperf3Params? _params;
    // 1 between TEST_RUNNING and TEST_END: received UDP data counts only then, as in iperf3.
    private int _running;

    public Iperf3Session(FlowTcpListener listener, FlowUdpSocket udp, FlowTcpStream control, byte[] cookie, TextWriter log)
    {
        _listener = listener;
        _udp = udp;
        _control = control;
        _cookie = cookie;
        _log = log;
    }

    /// <summary>Runs the test; returns what the server saw, or null when the client ended it early or the server refused it.</summary>
    public async Task<Iperf3TestSummary?> RunAsync(CancellationToken cancellationToken)
    {
        await Iperf3Control.WriteStateAsync(_control, Iperf3State.ParamExchange, cancellationToken).ConfigureAwait(false);
        using (JsonDocument json = await Iperf3Control.ReadJsonAsync(_control, cancellationToken).ConfigureAwait(false))
        {
            Volatile.Write(ref _params, Iperf3Params.Parse(json.RootElement));
        }
        Iperf3Params p = _params!;
        int refusal = p.Bidirectional ? Iperf3Control.NotImplementedError
            : p.Udp && (p.Length < Iperf3UdpHeader.Size(p.UdpCounters64Bit) || p.Length > _udp.MaxDatagramSize) ? Iperf3Control.UdpBlockSizeError
            : 0;
        if (refusal != 0)
        {
            _log.WriteLine($"refused a test: iperf3 error {refusal} (bidirectional {p.Bidirectional}, UDP datagrams of {p.Length} bytes, at most {_udp.MaxDatagramSize} here)");
            await Iperf3Control.WriteServerErrorAsync(_control, refusal, cancellationToken).ConfigureAwait(false);
            return null;
        }

        await Iperf3Control.WriteStateAsync(_control, Iperf3State.CreateStreams, cancellationToken).ConfigureAwait(false);
        Task joined = p.Udp ? _udpStreamsJoined.Task : AcceptTcpStreamsAsync(p.Parallel, cancellationToken);
        await joined.WaitAsync(StreamSetupTimeout, cancellationToken).ConfigureAwait(false);

        await Iperf3Control.WriteStateAsync(_control, Iperf3State.TestStart, cancellationToken).ConfigureAwait(false);
        await Iperf3Control.WriteStateAsync(_control, Iperf3State.TestRunning, cancellationToken).ConfigureAwait(false);
        using var process = Process.GetCurrentProcess();
        TimeSpan user = process.UserProcessorTime, system = process.PrivilegedProcessorTime;
        long started = Stopwatch.GetTimestamp();
        Volatile.Write(ref _running, 1);
        using var stopStreams = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task transfers = Task.WhenAll(_streams.Select(s => TransferAsync(s, p, stopStreams.Token)));

        Iperf3State ending = await Iperf3Control.ReadStateAsync(_control, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _running, 0);
        TimeSpan duration = Stopwatch.GetElapsedTime(started);
        await stopStreams.CancelAsync().ConfigureAwait(false);
        await transfers.ConfigureAwait(false);
        CloseTcpStreams();
        if (ending != Iperf3State.TestEnd)
        {
            _log.WriteLine($"the client ended the test with {ending}");
            return null;
        }
        process.Refresh();
        double seconds = Math.Max(duration.TotalSeconds, 1e-6);
        double userPercent = (process.UserProcessorTime - user).TotalSeconds / seconds * 100;
        double systemPercent = (process.PrivilegedProcessorTime - system).TotalSeconds / seconds * 100;

        await Iperf3Control.WriteStateAsync(_control, Iperf3State.ExchangeResults, cancellationToken).ConfigureAwait(false);
        // The client's results (its counts) are not needed here: it reports both sides itself.
        (await Iperf3Control.ReadJsonAsync(_control, cancellationToken).ConfigureAwait(false)).Dispose();
        await Iperf3Control.WriteJsonAsync(_control, w => WriteResults(w, p, duration, userPercent, systemPercent), cancellationToken).ConfigureAwait(false);
        await Iperf3Control.WriteStateAsync(_control, Iperf3State.DisplayResults, cancellationToken).ConfigureAwait(false);
        Iperf3State done = await Iperf3Control.ReadStateAsync(_control, cancellationToken).ConfigureAwait(false);
        if (done != Iperf3State.IperfDone)
        {
            _log.WriteLine($"the client answered the results with {done}, not {Iperf3State.IperfDone}");
        }
        return new Iperf3TestSummary(p, duration, _streams.Sum(s => s.Bytes), _streams.Sum(s => s.Packets), p.Reverse ? 0 : _streams.Sum(s => s.Errors));
    }

    /// <summary>
    /// The server's UDP receive loop hands every datagram of the test's port here. Returns the
    /// answer to send back when it is a stream's greeting (a repeated one is answered again).
    /// </summary>
    public bool OnDatagram(in FlowDatagram datagram, long arrivalMicroseconds, Span<byte> reply)
    {
        Iperf3Params? p = Volatile.Read(ref _params);
        if (p is null || !p.Udp)
        {
            return false;
        }
        ReadOnlySpan<byte> payload = datagram.Payload;
        long key = ((long)datagram.RemoteAddress << 16) | datagram.RemotePort;
        lock (_udpLock)
        {
            if (_udpStreams.TryGetValue(key, out Iperf3Stream? stream))
            {
                if (Volatile.Read(ref _running) == 1)
                {
                    if (!p.Reverse)
                    {
                        stream.CountReceivedDatagram(payload, p.UdpCounters64Bit, arrivalMicroseconds);
                    }
                    return false;
                }
                return payload.Length == 4 && WriteUdpReply(payload, reply);
            }
            if (payload.Length != 4 || _udpStreams.Count == p.Parallel)
            {
                return false;
            }
            stream = new Iperf3Stream(NextStreamId(), tcp: null, datagram.RemoteEndPoint);
            _udpStreams.Add(key, stream);
            _streams.Add(stream);
            if (_udpStreams.Count == p.Parallel)
            {
                _udpStreamsJoined.TrySetResult();
            }
            return WriteUdpReply(payload, reply);
        }
    }

    public void Dispose() => CloseTcpStreams();

    /// <summary>The microsecond clock of the UDP header: Unix time, as gettimeofday gives.</summary>
    public static long NowMicroseconds() => DateTimeOffset.UtcNow.Ticks / 10 - DateTimeOffset.UnixEpoch.Ticks / 10;

    // iperf3 writes the greeting and its answer as a host-order int: answer in the order the client used.
    private static bool WriteUdpReply(ReadOnlySpan<byte> greeting, Span<byte> reply)
    {
        if (BinaryPrimitives.ReadInt32BigEndian(greeting) == UdpConnectMessage)
        {
            BinaryPrimitives.WriteInt32BigEndian(reply, UdpConnectReply);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(reply, UdpConnectReply);
        }
        return true;
    }

    private int NextStreamId() => _streams.Count == 0 ? 1 : _streams.Count + 2;

    /// <summary>Takes connections from the listener until <paramref name="count"/> carry this test's cookie; another client's is denied.</summary>
    private async Task AcceptTcpStreamsAsync(int count, CancellationToken cancellationToken)
    {
        while (_streams.Count < count)
        {
            FlowTcpStream connection = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                byte[] cookie = await Iperf3Control.ReadCookieAsync(connection, cancellationToken).ConfigureAwait(false);
                if (cookie.AsSpan().SequenceEqual(_cookie))
                {
                    _streams.Add(new Iperf3Stream(NextStreamId(), connection, udpPeer: null));
                    continue;
                }
                await Iperf3Control.WriteStateAsync(connection, Iperf3State.AccessDenied, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or EndOfStreamException)
            {
                _log.WriteLine($"a connection ended before its cookie: {e.Message}");
            }
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Moves one stream's data until the test ends (<paramref name="stop"/>); a stream the peer breaks just stops.</summary>
    private async Task TransferAsync(Iperf3Stream stream, Iperf3Params p, CancellationToken stop)
    {
        try
        {
            if (stream.Tcp is { } tcp)
            {
                await (p.Reverse ? SendTcpAsync(tcp, stream, p, stop) : ReceiveTcpAsync(tcp, stream, stop)).ConfigureAwait(false);
            }
            else if (p.Reverse)
            {
                await SendUdpAsync(stream, p, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (IOException e)
        {
            _log.WriteLine($"stream {stream.Id} failed: {e.Message}");
        }
    }

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

    private async Task SendUdpAsync(Iperf3Stream stream, Iperf3Params p, CancellationToken stop)
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
                await _udp.SendToAsync(datagram, stream.UdpPeer!, stop).ConfigureAwait(false);
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

    private void WriteResults(Utf8JsonWriter w, Iperf3Params p, TimeSpan duration, double userPercent, double systemPercent)
    {
        w.WriteNumber("cpu_util_total", userPercent + systemPercent);
        w.WriteNumber("cpu_util_user", userPercent);
        w.WriteNumber("cpu_util_system", systemPercent);
        // As sender the server does not count retransmissions (0: none reported); as receiver it has none to report (-1, as iperf3's own server).
        w.WriteNumber("sender_has_retransmits", p.Reverse ? 0 : -1);
        w.WriteStartArray("streams");
        foreach (Iperf3Stream s in _streams)
        {
            w.WriteStartObject();
            w.WriteNumber("id", s.Id);
            w.WriteNumber("bytes", s.Bytes);
            w.WriteNumber("retransmits", -1);
            w.WriteNumber("jitter", p.Reverse ? 0 : s.JitterSeconds);
            w.WriteNumber("errors", p.Reverse ? 0 : s.Errors);
            w.WriteNumber("omitted_errors", 0);
            w.WriteNumber("packets", s.Packets);
            w.WriteNumber("omitted_packets", 0);
            w.WriteNumber("start_time", 0);
            w.WriteNumber("end_time", duration.TotalSeconds);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private void CloseTcpStreams()
    {
        foreach (Iperf3Stream s in _streams)
        {
            s.Tcp?.Dispose();
        }
    }
}
