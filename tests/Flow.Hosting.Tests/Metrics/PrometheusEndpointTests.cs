using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

public sealed class PrometheusEndpointTests
{
    [Fact]
    public async Task ServesPerStagePerPortPerReasonCountersOnLoopback()
    {
        await using ServiceProvider services = TestServices.Create();
        await using FlowGraph graph = services.GetRequiredService<GraphFileLoader>().LoadText("""
            { "stages": {
                "gen": { "type": "generator", "config": { "count": 1000 } },
                "count": { "type": "counter" },
                "drop": { "type": "drop" } },
              "edges": ["gen -> count", "count -> drop"] }
            """, "metrics.json");
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await using PrometheusEndpoint endpoint = PrometheusEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), graph.GetStats);
        using var http = new HttpClient();

        HttpResponseMessage response = await http.GetAsync($"http://{endpoint.EndPoint}/metrics");
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("flow_stage_packets_total{stage=\"count\",type=\"counter\",port=\"out\"} 1000\n", text);
        Assert.Contains("flow_stage_drops_total{stage=\"drop\",type=\"drop\",reason=\"dropped\",severity=\"info\"} 1000\n", text);
        Assert.Contains("# TYPE flow_worker_busy_ratio gauge\n", text);
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task AnswersNotFoundForOtherPaths()
    {
        await using PrometheusEndpoint endpoint = PrometheusEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0),
            () => new GraphStats([], [], []));
        using var http = new HttpClient();
        HttpResponseMessage response = await http.GetAsync($"http://{endpoint.EndPoint}/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("0.0.0.0:9464", "'0.0.0.0:9464' is not a loopback address; the metrics endpoint binds to 127.0.0.0/8 or [::1] only")]
    [InlineData("10.1.2.3:9464", "'10.1.2.3:9464' is not a loopback address; the metrics endpoint binds to 127.0.0.0/8 or [::1] only")]
    [InlineData("localhost:x", "'localhost:x' is not an address:port such as 127.0.0.1:9464")]
    public void RefusesAddressesThatAreNotLoopback(string text, string expected)
    {
        Assert.False(PrometheusEndpoint.TryParseLoopback(text, out _, out string error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("127.0.0.1:9464")]
    [InlineData("[::1]:9464")]
    public void AcceptsLoopbackAddresses(string text) =>
        Assert.True(PrometheusEndpoint.TryParseLoopback(text, out _, out _));
}
