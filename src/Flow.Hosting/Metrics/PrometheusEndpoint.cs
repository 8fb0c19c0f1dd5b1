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
public sealed class PrometheusEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<GraphStats> _stats;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _accept;

    private PrometheusEndpoint(TcpListener listener, Func<GraphStats> stats, ILogger logger)
    {
        _listener = listener;
        _stats = stats;
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
    public static PrometheusEndpoint Start(IPEndPoint endPoint, Func<GraphStats> stats, ILogger? logger = null)
    {
        if (!IPAddress.IsLoopback(endPoint.Address))
        {
            throw new ArgumentException($"{endPoint} is not a loopback address", nameof(endPoint));
        }
        var listener = new TcpListener(endPoint);
        listener.Start();
        var endpoint = new PrometheusEndpoint(listener, stats, logger ?? NullLogger.Instance);
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
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
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
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                NetworkStream stream = client.GetStream();
                string? requestLine = await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false);
                string[] parts = requestLine?.Split(' ') ?? [];
                (int status, string reason, string body, string type) = parts.Length >= 2 && parts[0] == "GET" && (parts[1] == "/metrics" || parts[1].StartsWith("/metrics?", StringComparison.Ordinal))
                    ? (200, "OK", PrometheusText.Render(_stats()), PrometheusText.ContentType)
                    : parts.Length >= 2 && parts[0] != "GET"
                        ? (405, "Method Not Allowed", "only GET /metrics is served\n", "text/plain; charset=utf-8")
                        : (404, "Not Found", "only GET /metrics is served\n", "text/plain; charset=utf-8");
                byte[] payload = Encoding.UTF8.GetBytes(body);
                string head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: {type}\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token).ConfigureAwait(false);
                await stream.WriteAsync(payload, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                FlowHostingLog.MetricsRequestFailed(_logger, remote, e.Message);
            }
        }
    }

    /// <summary>Reads up to the blank line ending the request head (at most 8 KiB); returns the request line.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[8192];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            filled += n;
            if (buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }
        string head = Encoding.ASCII.GetString(buffer, 0, filled);
        int end = head.IndexOf("\r\n", StringComparison.Ordinal);
        return end < 0 ? (head.Length > 0 ? head : null) : head[..end];
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
