using System.Net;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>
/// A port device's own counters (DPDK xstats, XDP_STATISTICS) reach Prometheus as
/// flow_device_counter, named as the device names them, read anew on every scrape.
/// </summary>
public sealed class DeviceCounterRenderingTests
{
    private static readonly GraphStats s_empty = new([], [], []);

    [Fact]
    public void EachCounterIsASampleLabelledWithStageDeviceAndName()
    {
        string text = PrometheusText.Render(s_empty,
        [
            new DeviceCounters("lan_rx", "net_null0", [new("rx_good_packets", 42), new("rx_missed_errors", 3)]),
            new DeviceCounters("wan_rx", "veth1 queue 0", [new("rx_dropped", 7)]),
        ]);
        Assert.Contains("# TYPE flow_device_counter untyped\n", text);
        Assert.Contains("flow_device_counter{stage=\"lan_rx\",device=\"net_null0\",name=\"rx_good_packets\"} 42\n", text);
        Assert.Contains("flow_device_counter{stage=\"lan_rx\",device=\"net_null0\",name=\"rx_missed_errors\"} 3\n", text);
        Assert.Contains("flow_device_counter{stage=\"wan_rx\",device=\"veth1 queue 0\",name=\"rx_dropped\"} 7\n", text);
    }

    [Fact]
    public void AGraphWithoutDevicesHasNoDeviceFamily()
    {
        Assert.DoesNotContain("flow_device_counter", PrometheusText.Render(s_empty));
        Assert.DoesNotContain("flow_device_counter", PrometheusText.Render(s_empty, []));
    }

    [Fact]
    public async Task TheEndpointReadsTheDevicesOnEveryScrape()
    {
        long reads = 0;
        await using PrometheusEndpoint endpoint = PrometheusEndpoint.Start(new IPEndPoint(IPAddress.Loopback, 0), () => s_empty,
            devices: () => [new DeviceCounters("rx", "net_ring0", [new("rx_good_packets", ++reads)])]);
        using var http = new HttpClient();
        string first = await http.GetStringAsync($"http://{endpoint.EndPoint}/metrics");
        string second = await http.GetStringAsync($"http://{endpoint.EndPoint}/metrics");
        Assert.Contains("flow_device_counter{stage=\"rx\",device=\"net_ring0\",name=\"rx_good_packets\"} 1\n", first);
        Assert.Contains("flow_device_counter{stage=\"rx\",device=\"net_ring0\",name=\"rx_good_packets\"} 2\n", second);
    }
}
