using System.Net;
using System.Net.Sockets;
using Flow.Net;
using Flow.Net.Tcp;
using Flow.Net.Udp;

namespace Flow.Samples.Iperf3OnFlow;

/// <summary>
/// An iperf3 server (the protocol of iperf 3.x, checked against Debian 12's 3.12 client) on
/// Flow's stack: <c>iperf3 -c</c> on any host measures TCP or UDP to it (<c>-u</c>, <c>-b</c>), or
/// from it (<c>-R</c>), over one or more streams (<c>-P</c>), and prints its usual report or JSON.
/// </summary>
/// <remarks>
/// One test at a time, as iperf3's own server: control and TCP data connections share the port's
/// listener and the client's cookie tells them apart; a connection with another cookie while a
/// test is being set up is denied (<see cref="Iperf3State.AccessDenied"/>), one that comes while a
/// test runs waits in the accept queue for the next. UDP streams share one socket on the port —
/// the stack has one socket per port — told apart by the client's address and port.
/// Not supported: <c>--bidir</c> (refused with iperf3's "not implemented"), <c>--omit</c> (the
/// server's counts include the omitted seconds), <c>--get-server-output</c> (nothing is sent),
/// retransmission counts, UDP datagrams larger than one frame of the stack.
/// </remarks>
public sealed class Iperf3Server
{
    public const int DefaultPort = 5201;

    // A client sends its cookie as soon as it connects; a connection silent this long is not iperf3.
    private static readonly TimeSpan CookieTimeout = TimeSpan.FromSeconds(10);

    private readonly FlowStack _stack;
    private readonly int _port;
    private readonly TextWriter _log;
    private Iperf3Session? _session;
    private Iperf3TestSummary? _lastTest;
    private int _testsCompleted;

    public Iperf3Server(FlowStack stack, int port = DefaultPort, TextWriter? log = null)
    {
        _stack = stack;
        _port = port;
        _log = log ?? TextWriter.Null;
    }

    /// <summary>Tests that ran to the client's <see cref="Iperf3State.IperfDone"/>.</summary>
    public int TestsCompleted => Volatile.Read(ref _testsCompleted);

    /// <summary>The last completed test as the server saw it.</summary>
    public Iperf3TestSummary? LastTest => Volatile.Read(ref _lastTest);

    /// <summary>Serves tests on the port (TCP and UDP) until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using FlowTcpListener listener = _stack.CreateTcpListener(new IPEndPoint(IPAddress.Any, _port));
        listener.Start();
        await using FlowUdpSocket udp = _stack.CreateUdpSocket(Iperf3Transfers.UdpQueueLength);
        udp.Bind(new IPEndPoint(IPAddress.Any, _port));
        using var stopUdp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task udpLoop = ReceiveUdpAsync(udp, stopUdp.Token);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                FlowTcpStream control = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                await using (control.ConfigureAwait(false))
                {
                    await ServeAsync(listener, udp, control, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stopUdp.CancelAsync().ConfigureAwait(false);
            try
            {
                await udpLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task ServeAsync(FlowTcpListener listener, FlowUdpSocket udp, FlowTcpStream control, CancellationToken cancellationToken)
    {
        // A client that vanishes without a FIN would otherwise hold the server forever.
        control.EnableKeepAlive(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), 5);
        try
        {
            byte[] cookie = await Iperf3Control.ReadCookieAsync(control, cancellationToken).AsTask().WaitAsync(CookieTimeout, cancellationToken).ConfigureAwait(false);
            using var session = new Iperf3Session(listener, udp, control, cookie, _log);
            Volatile.Write(ref _session, session);
            Iperf3TestSummary? summary = await session.RunAsync(cancellationToken).ConfigureAwait(false);
            if (summary is not null)
            {
                Volatile.Write(ref _lastTest, summary);
                Interlocked.Increment(ref _testsCompleted);
                _log.WriteLine($"{control.RemoteEndPoint}: {summary}");
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or TimeoutException or InvalidDataException or System.Text.Json.JsonException)
        {
            _log.WriteLine($"{control.RemoteEndPoint}: test abandoned: {e.Message}");
        }
        finally
        {
            Volatile.Write(ref _session, null);
        }
    }

    /// <summary>Every datagram to the port goes to the test being set up or run; the rest are dropped.</summary>
    private async Task ReceiveUdpAsync(FlowUdpSocket udp, CancellationToken cancellationToken)
    {
        byte[] reply = new byte[4];
        while (true)
        {
            IPEndPoint? greeted = null;
            using (FlowDatagram datagram = await udp.ReceiveDatagramAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Volatile.Read(ref _session)?.OnDatagram(datagram, Iperf3Transfers.NowMicroseconds(), reply) == true)
                {
                    greeted = datagram.RemoteEndPoint;
                }
            }
            if (greeted is not null)
            {
                try
                {
                    await udp.SendToAsync(reply, greeted, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    _log.WriteLine($"could not answer {greeted}'s UDP greeting: {e.SocketErrorCode}");
                }
            }
        }
    }
}
