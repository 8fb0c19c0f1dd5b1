using System.Buffers.Binary;
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
        var measurement = new Iperf3Measurement();
        Volatile.Write(ref _running, 1);
        using var stopStreams = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // UDP towards the server is counted by the server's receive loop (OnDatagram).
        Task transfers = p.Udp && !p.Reverse ? Task.CompletedTask
            : Task.WhenAll(_streams.Select(s => Iperf3Transfers.RunAsync(s, sending: p.Reverse, p, _udp, _log, stopStreams.Token)));

        Iperf3State ending = await Iperf3Control.ReadStateAsync(_control, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _running, 0);
        measurement.Stop();
        await stopStreams.CancelAsync().ConfigureAwait(false);
        await transfers.ConfigureAwait(false);
        CloseTcpStreams();
        if (ending != Iperf3State.TestEnd)
        {
            _log.WriteLine($"the client ended the test with {ending}");
            return null;
        }

        await Iperf3Control.WriteStateAsync(_control, Iperf3State.ExchangeResults, cancellationToken).ConfigureAwait(false);
        // The client's results (its counts) are not needed here: it reports both sides itself.
        (await Iperf3Control.ReadJsonAsync(_control, cancellationToken).ConfigureAwait(false)).Dispose();
        await Iperf3Control.WriteJsonAsync(_control, w => measurement.WriteResults(w, _streams, sending: p.Reverse), cancellationToken).ConfigureAwait(false);
        await Iperf3Control.WriteStateAsync(_control, Iperf3State.DisplayResults, cancellationToken).ConfigureAwait(false);
        Iperf3State done = await Iperf3Control.ReadStateAsync(_control, cancellationToken).ConfigureAwait(false);
        if (done != Iperf3State.IperfDone)
        {
            _log.WriteLine($"the client answered the results with {done}, not {Iperf3State.IperfDone}");
        }
        return new Iperf3TestSummary(p, measurement.Duration, _streams.Sum(s => s.Bytes), _streams.Sum(s => s.Packets), p.Reverse ? 0 : _streams.Sum(s => s.Errors));
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

    private void CloseTcpStreams()
    {
        foreach (Iperf3Stream s in _streams)
        {
            s.Tcp?.Dispose();
        }
    }
}
