using System.Net;
using System.Net.Sockets;
using System.Text;
using Flow.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Flow.Hosting;

/// <summary>
/// A minimal HTTP/1.1 responder serving <c>GET /metrics</c> in the Prometheus text format,
/// rendered from a stats source (<see cref="FlowGraph.GetStats"/>) on each scrape. It binds to
/// loopback only (127.0.0.0/8 or ::1) — expose it further through a proxy if you must — and
/// answers one request per connection.
/// </summary>
/// <remarks>
/// Any local user can connect, so it defends itself: at most <see cref="MaxConnections"/>
/// connections at once (more are closed unanswered), a request head of at most
/// <see cref="MaxHeadBytes"/> within 5 s, and a <c>Host</c> header that must be a loopback
/// address or <c>localhost</c> — a page in a browser on this machine, served from a name that
/// resolves to 127.0.0.1 (DNS rebinding), cannot read the metrics. A failed accept (out of file
/// descriptors) is logged and the endpoint keeps listening.
/// </remarks>
public sealed class PrometheusEndpoint : IAsyncDisposable
{
    /// <summary>Connections served at once: a scraper needs one; the rest guards the process's file descriptors.</summary>
    public const int MaxConnections = 16;

    /// <summary>Longest request head (request line and headers) read; a scrape sends a few hundred bytes.</summary>
    public const int MaxHeadBytes = 8192;

    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_acceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly TcpListener _listener;
    private readonly SemaphoreSlim _slots = new(MaxConnections, MaxConnections);
    private readonly Func<GraphStats> _stats;
    private readonly Func<IReadOnlyList<DeviceCounters>>? _devices;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _accept;

    private PrometheusEndpoint(TcpListener listener, Func<GraphStats> stats, Func<IReadOnlyList<DeviceCounters>>? devices, ILogger logger)
    {
        _listener = listener;
        _stats = stats;
        _devices = devices;
        _logger = logger;
    }

    /// <summary>The bound address (port 0 in the request gets the actual port here).</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Parses <c>host:port</c>; only loopback addresses are accepted.</summary>
    public static bool TryParseLoopback(string text, out IPEndPoint endPoint, out string error)
    {
        endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        if (!IPEndPoint.TryParse(text, out IPEndPoint? parsed) || parsed.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal))
        {
            error = $"'{text}' is not an address:port such as 127.0.0.1:9464";
            return false;
        }
        if (!IPAddress.IsLoopback(parsed.Address))
        {
            error = $"'{text}' is not a loopback address; the metrics endpoint binds to 127.0.0.0/8 or [::1] only";
            return false;
        }
        endPoint = parsed;
        error = "";
        return true;
    }

    /// <summary>Binds and starts serving; throws <see cref="SocketException"/> when the port is taken.</summary>
    /// <param name="endPoint">A loopback address and port (0: any free port).</param>
    /// <param name="stats">The graph's counters, read on each scrape.</param>
    /// <param name="logger">Where refused requests are logged.</param>
    /// <param name="devices">The ports' own device counters (<see cref="FlowGraph.GetDeviceCounters"/>), read on each scrape; null for none.</param>
    public static PrometheusEndpoint Start(IPEndPoint endPoint, Func<GraphStats> stats, ILogger? logger = null, Func<IReadOnlyList<DeviceCounters>>? devices = null)
    {
        if (!IPAddress.IsLoopback(endPoint.Address))
        {
            throw new ArgumentException($"{endPoint} is not a loopback address", nameof(endPoint));
        }
        var listener = new TcpListener(endPoint);
        listener.Start();
        var endpoint = new PrometheusEndpoint(listener, stats, devices, logger ?? NullLogger.Instance);
        FlowHostingLog.MetricsListening(endpoint._logger, endpoint.EndPoint.ToString());
        endpoint._accept = endpoint.AcceptLoopAsync();
        return endpoint;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // EMFILE, ENFILE, ENOBUFS, ECONNABORTED: this accept failed, the listener did not.
                // A pause keeps an fd shortage from turning into a spin.
                FlowHostingLog.MetricsAcceptFailed(_logger, e.SocketErrorCode.ToString(), e.Message);
                try
                {
                    await Task.Delay(s_acceptRetryDelay, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            if (!_slots.Wait(0))
            {
                // Full: closed unanswered, at no cost to the connections being served.
                client.Dispose();
                continue;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        string remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(s_requestTimeout);
                NetworkStream stream = client.GetStream();
                (int status, string reason, string body, string type) = Answer(await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false));
                byte[] payload = Encoding.UTF8.GetBytes(body);
                string head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: {type}\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token).ConfigureAwait(false);
                await stream.WriteAsync(payload, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                FlowHostingLog.MetricsRequestFailed(_logger, remote, e.Message);
            }
            finally
            {
                // Before the socket closes, so a client that saw the end finds the slot free.
                _slots.Release();
            }
        }
    }

    private (int Status, string Reason, string Body, string Type) Answer(RequestHead? request)
    {
        const string Text = "text/plain; charset=utf-8";
        if (request is null)
        {
            return (431, "Request Header Fields Too Large", $"the request head is longer than {MaxHeadBytes} bytes\n", Text);
        }
        string[] parts = request.Value.Line.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return (400, "Bad Request", "expected an HTTP/1.x request line: GET /metrics HTTP/1.1\n", Text);
        }
        if (!IsLoopbackHost(request.Value.Host))
        {
            return (403, "Forbidden", "the Host header must be localhost or a loopback address\n", Text);
        }
        if (parts[0] != "GET")
        {
            return (405, "Method Not Allowed", "only GET /metrics is served\n", Text);
        }
        return parts[1] == "/metrics" || parts[1].StartsWith("/metrics?", StringComparison.Ordinal)
            ? (200, "OK", PrometheusText.Render(_stats(), _devices?.Invoke()), PrometheusText.ContentType)
            : (404, "Not Found", "only GET /metrics is served\n", Text);
    }

    /// <summary><c>localhost</c> or a loopback literal, with or without a port; false for none (HTTP/1.1 requires one).</summary>
    internal static bool IsLoopbackHost(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }
        string name = host;
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < host.Length && host[close + 1] != ':'))
            {
                return false;
            }
            name = host[1..close];
        }
        else if (host.Count(c => c == ':') == 1)
        {
            name = host[..host.IndexOf(':', StringComparison.Ordinal)];
        }
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
            (IPAddress.TryParse(name, out IPAddress? address) && IPAddress.IsLoopback(address));
    }

    private readonly record struct RequestHead(string Line, string? Host);

    /// <summary>Reads the request head up to its blank line; null when it does not end within <see cref="MaxHeadBytes"/>.</summary>
    private static async Task<RequestHead?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[MaxHeadBytes];
        int filled = 0;
        int end;
        while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (filled == buffer.Length)
            {
                return null;
            }
            int n = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                // The client stopped sending: answer what came (a request without its blank line is malformed).
                end = filled;
                break;
            }
            filled += n;
        }
        string[] lines = Encoding.Latin1.GetString(buffer, 0, end).Split("\r\n");
        string? host = null;
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                if (host is not null)
                {
                    return new RequestHead(lines[0], null); // two Host headers: refused as none (RFC 9112 3.2)
                }
                host = line[(colon + 1)..].Trim();
            }
        }
        return new RequestHead(lines[0], host);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        if (_accept is not null)
        {
            await _accept.ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
