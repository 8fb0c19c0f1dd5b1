using System.Text.Json;
using Flow.Hosting.Internal;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary>
/// A cost per packet not measured yet is absent from Prometheus and null in the control
/// socket's JSON (never a 0 that reads as "free"); a transmitting stage's packets are sent.
/// </summary>
public sealed class StageCostRenderingTests
{
    private static readonly GraphStats s_stats = new(
    [
        new StageStats("rx", "loop_rx", 0, 10, 0, 0, 0, 10, null, [new PortCount("out", 10)], []),
        new StageStats("fwd", "counter", 0, 900, 0, 0, 0, 300, 12.5, [new PortCount("out", 900)], []),
        new StageStats("tx", "loop_tx", 0, 900, 0, 900, 0, 300, 30.0, [], [], Transmits: true),
    ], [], []);

    [Fact]
    public void PrometheusLeavesOutUnmeasuredCostsAndNamesSentPackets()
    {
        string text = PrometheusText.Render(s_stats);
        Assert.DoesNotContain("flow_stage_nanoseconds_per_packet{stage=\"rx\"", text);
        Assert.DoesNotContain("flow_stage_cycles_per_packet{stage=\"rx\"", text);
        Assert.Contains("flow_stage_nanoseconds_per_packet{stage=\"fwd\",type=\"counter\"} 12.5\n", text);
        Assert.Contains("flow_stage_sent_packets_total{stage=\"tx\",type=\"loop_tx\"} 900\n", text);
        Assert.DoesNotContain("flow_stage_consumed_packets_total{stage=\"tx\"", text);
        Assert.Contains("flow_stage_consumed_packets_total{stage=\"fwd\",type=\"counter\"} 0\n", text);
    }

    [Fact]
    public void AShardsCopyIsItsDeclaredStageWithAShardLabel()
    {
        var sharded = new GraphStats(
        [
            new StageStats("fwd@0", "counter", 0, 900, 0, 0, 0, 300, null, [new PortCount("out", 900)], []),
            new StageStats("fwd@1", "counter", 1, 700, 0, 0, 0, 200, null, [new PortCount("out", 700)], []),
        ], [], []);
        string text = PrometheusText.Render(sharded);
        Assert.Contains("flow_stage_in_packets_total{stage=\"fwd\",shard=\"0\",type=\"counter\"} 900\n", text);
        Assert.Contains("flow_stage_packets_total{stage=\"fwd\",shard=\"1\",type=\"counter\",port=\"out\"} 700\n", text);
        Assert.DoesNotContain("fwd@", text);
        // An unsharded graph's stages have no shard label.
        Assert.Contains("flow_stage_in_packets_total{stage=\"fwd\",type=\"counter\"} 900\n", PrometheusText.Render(s_stats));
    }

    [Fact]
    public void ControlJsonHasNullForAnUnknownCellAndReadsItBack()
    {
        byte[] line = ControlProtocol.Success("1", ControlReply.Table(["stage", "ns/pkt", "sent"], [["rx", ControlReply.Unknown, ""], ["tx", "30.0", "900"]]));
        using JsonDocument json = JsonDocument.Parse(line);
        JsonElement rows = json.RootElement.GetProperty("rows");
        Assert.Equal(JsonValueKind.Null, rows[0][1].ValueKind);
        Assert.Equal("30.0", rows[1][1].GetString());

        ControlResponse read = ControlProtocol.ParseResponse(System.Text.Encoding.UTF8.GetString(line));
        Assert.Equal(ControlReply.Unknown, read.Rows[0][1]);
    }
}
