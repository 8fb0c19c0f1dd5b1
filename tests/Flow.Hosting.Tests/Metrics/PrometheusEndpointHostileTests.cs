using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>
/// Clients of the metrics endpoint that are not Prometheus: other Host names (DNS rebinding from
/// a browser), oversized or garbage requests, more idle connections than the cap. Each gets a
/// refusal, and an honest scrape is served afterwards.
/// </summary>
public sealed class PrometheusEndpointHostileTests
{
    private const string Scrape = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n";

    private static PrometheusEndpoint Start() =>
        PrometheusEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), () => new GraphStats([], [], []));

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:9464")]
    [InlineData("10.0.0.1:9464")]
    [InlineData("localhost.evil.example")]
    [InlineData("")]
    public async Task AHostHeaderThatIsNotLoopbackIsForbidden(string host)
    {
        await using PrometheusEndpoint endpoint = Start();

        string response = await ExchangeAsync(endpoint, $"GET /metrics HTTP/1.1\r\nHost: {host}\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", response);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ExchangeAsync(endpoint, Scrape));
    }

    [Fact]
    public async Task ARequestWithoutHostIsForbidden()
    {
        await using PrometheusEndpoint endpoint = Start();
        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", await ExchangeAsync(endpoint, "GET /metrics HTTP/1.1\r\n\r\n"));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LocalHost:9464")]
    [InlineData("127.0.0.1:9464")]
    [InlineData("127.1.2.3")]
    [InlineData("[::1]:9464")]
    [InlineData("[::1]")]
    public async Task LoopbackHostHeadersAreServed(string host)
    {
        await using PrometheusEndpoint endpoint = Start();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ExchangeAsync(endpoint, $"GET /metrics HTTP/1.1\r\nHost: {host}\r\n\r\n"));
    }

    [Fact]
    public async Task AnOversizedRequestHeadIsRefused()
    {
        await using PrometheusEndpoint endpoint = Start();

        string response = await ExchangeAsync(endpoint, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + new string('a', PrometheusEndpoint.MaxHeadBytes) + "\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n", response);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ExchangeAsync(endpoint, Scrape));
    }

    [Fact]
    public async Task BinaryGarbageIsABadRequest()
    {
        await using PrometheusEndpoint endpoint = Start();
        byte[] garbage = new byte[512];
        new Random(11).NextBytes(garbage);

        string response = await ExchangeAsync(endpoint, Encoding.Latin1.GetString(garbage) + "\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", response);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ExchangeAsync(endpoint, Scrape));
    }

    [Fact]
    public async Task ConnectionsOverTheCapAreClosedUnansweredAndScrapesResumeWhenTheyGo()
    {
        await using PrometheusEndpoint endpoint = Start();
        var idle = new List<TcpClient>();
        try
        {
            for (int i = 0; i < PrometheusEndpoint.MaxConnections; i++)
            {
                var client = new TcpClient();
                idle.Add(client);
                await client.ConnectAsync(endpoint.EndPoint);
            }

            // Accepted after the idle ones, so every slot is taken: closed without an answer.
            Assert.Equal("", await ExchangeAsync(endpoint, Scrape));

            // The idle clients finish (send nothing, half-close); the endpoint answers each and
            // frees its slot before closing, so once each has read to the end the slots are free.
            foreach (TcpClient client in idle)
            {
                client.Client.Shutdown(SocketShutdown.Send);
                Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", await ReadToEndAsync(client.Client));
            }
            Assert.StartsWith("HTTP/1.1 200 OK\r\n", await ExchangeAsync(endpoint, Scrape));
        }
        finally
        {
            idle.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Sends <paramref name="request"/> on a new connection and reads until the endpoint closes it.</summary>
    private static async Task<string> ExchangeAsync(PrometheusEndpoint endpoint, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint.EndPoint);
        try
        {
            await client.Client.SendAsync(Encoding.Latin1.GetBytes(request));
        }
        catch (SocketException)
        {
            // Closed before we finished sending (refused, or the head was already too long).
        }
        return await ReadToEndAsync(client.Client);
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        byte[] buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
            {
                text.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }
        }
        catch (SocketException)
        {
            // Reset after unread data: what arrived before is the answer.
        }
        return text.ToString();
    }
}
