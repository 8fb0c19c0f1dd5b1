using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flow.Benchmarks.Infrastructure;
using Flow.Benchmarks.Router;
using Flow.Hosting;
using Flow.Stages;
using Microsoft.Extensions.DependencyInjection;

namespace Flow.Benchmarks.Scale;

/// <summary>
/// The router half of scenario <c>scale</c>: the shipped <c>pipelines/router.json</c> through
/// the graph-file loader at <c>shards</c> = 1 or 2, its ports swapped for in-process ends so that
/// no peer needs a core: <c>lan_rx</c> a generator of 64-byte UDP datagrams from the lan host
/// (192.168.1.10) to 198.51.100.1 (the default route, via the wan gateway), <c>wan_rx</c> a
/// generator of the gateway's ARP replies (10 a second, so the neighbour resolves and stays
/// reachable), lan_tx a null sink and wan_tx a <see cref="RoutedFrameSink"/> (it compares sampled
/// frames whole with the routed datagram). Each shard gets its own copies of the generators (one
/// flow each), and forwards on its own: its own classify … arp_resolve, one FIB, one neighbour
/// table read by both; arp runs once. The figure is what the wan sinks of every shard take per
/// second, all of it routed (TTL − 1, a new Ethernet header).
/// </summary>
internal static class RouterScale
{
    private static readonly byte[] s_routerLanMac = [0x02, 0, 0, 0, 0x01, 0x01];
    private static readonly byte[] s_routerWanMac = [0x02, 0, 0, 0, 0x02, 0x01];
    private static readonly byte[] s_hostMac = [0x02, 0, 0, 0, 0x00, 0x10];
    private static readonly byte[] s_gatewayMac = [0x02, 0, 0, 0, 0x02, 0x02];

    /// <summary>
    /// Datagrams per second the wan sinks took over the window, and how many the router dropped in
    /// it; the sinks' comparisons with the routed frame go into <paramref name="content"/>. One
    /// shard runs on <paramref name="cpu"/>; two run on cpus 0 and 1.
    /// </summary>
    public static async Task<(double Pps, long Dropped)> MeasureAsync(string routerFile, int shards, double seconds, ContentTally content, int cpu = 0)
    {
        var documentOptions = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        JsonObject file = JsonNode.Parse(await File.ReadAllTextAsync(routerFile), documentOptions: documentOptions)!.AsObject();
        file["workers"] = new JsonArray(new JsonObject { ["id"] = 0, ["cpu"] = cpu, ["idle"] = "busy_poll" });
        JsonObject stages = file["stages"]!.AsObject();
        stages["lan_rx"] = Generator(Hex(LanDatagram()), inputPort: 0, ratePps: 0);
        stages["wan_rx"] = Generator(Hex(GatewayArpReply()), inputPort: 1, ratePps: 10);
        stages["lan_tx"] = new JsonObject { ["type"] = "null_sink" };
        stages["wan_tx"] = new JsonObject { ["type"] = "bench_routed_frame_sink", ["config"] = new JsonObject { ["frame"] = Hex(Routed()) } };

        var services = new ServiceCollection();
        services.AddFlowHosting();
        services.AddFlowRouting();
        services.AddFlowRouterStages();
        services.AddFlowStage<RoutedFrameSink, RoutedFrameSinkOptions>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        var parameters = new Dictionary<string, string> { ["shards"] = shards.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        await using FlowGraph graph = new GraphFileLoader(provider).LoadText(file.ToJsonString(), "router.json", Path.GetDirectoryName(routerFile), parameters);
        graph.Start();
        await Task.Delay(700);
        GraphStats start = graph.GetStats();
        long began = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        GraphStats end = graph.GetStats();
        double elapsed = Stopwatch.GetElapsedTime(began).TotalSeconds;
        await graph.StopAsync(drain: false);
        for (int shard = 0; shard < shards; shard++)
        {
            RoutedFrameSink sink = graph.GetStage<RoutedFrameSink>(shards == 1 ? "wan_tx" : ShardNames.Of("wan_tx", shard));
            content.Add(sink.Checked, sink.Corrupt, missing: 0);
        }
        long routed = end.Summed("wan_tx").Consumed - start.Summed("wan_tx").Consumed;
        long dropped = end.Stages.Sum(s => s.DroppedTotal) - start.Stages.Sum(s => s.DroppedTotal);
        if (routed <= 0)
        {
            throw new InvalidOperationException($"scale: the router at {shards} shards routed nothing: " + string.Join("; ", end.Stages));
        }
        return (routed / elapsed, dropped);
    }

    private static JsonObject Generator(string template, int inputPort, long ratePps) => new()
    {
        ["type"] = "generator",
        ["config"] = new JsonObject { ["template"] = template, ["input_port"] = inputPort, ["rate_pps"] = ratePps, ["pool_frames"] = 4096 },
    };

    private static string Hex(byte[] frame) => Convert.ToHexString(frame);

    /// <summary>64 bytes: lan host → 198.51.100.1, UDP 1024 → 9, to the router's lan MAC, a valid IPv4 checksum.</summary>
    private static byte[] LanDatagram()
    {
        var frame = new byte[64];
        s_routerLanMac.CopyTo(frame, 0);
        s_hostMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        Span<byte> ip = frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], 50);
        ip[8] = 64;
        ip[9] = 17;
        byte[] source = [192, 168, 1, 10], destination = [198, 51, 100, 1];
        source.CopyTo(ip[12..]);
        destination.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], TestFrames.HeaderChecksum(ip));
        Span<byte> udp = frame.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 1024);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], 30);
        return frame;
    }

    /// <summary>The datagram as the router must send it to the gateway: new MACs, TTL 63, the header checksum updated.</summary>
    private static byte[] Routed()
    {
        byte[] frame = LanDatagram();
        s_gatewayMac.CopyTo(frame, 0);
        s_routerWanMac.CopyTo(frame, 6);
        Span<byte> ip = frame.AsSpan(14, 20);
        ip[8] = 63;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], TestFrames.HeaderChecksum(ip));
        return frame;
    }

    /// <summary>The wan gateway 192.168.100.1 answering the router's request for it.</summary>
    private static byte[] GatewayArpReply() =>
        RouterTraffic.ArpFrame(2, s_routerWanMac, s_gatewayMac, [192, 168, 100, 1], s_routerWanMac, [192, 168, 100, 2]);
}
