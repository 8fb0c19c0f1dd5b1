using Flow.Backends.AfXdp.Tests.Infrastructure;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>
/// The socket's own counters (XDP_STATISTICS and the ring counts) in Flow's stats: a graph on an
/// AF_XDP port lists the device once, for its rx and tx stages together, and the counts match
/// what the stages and the kernel peer saw.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpDeviceCounterTests
{
    [Fact]
    public async Task AGraphListsItsAfXdpSocketOnceWithCountsThatMatchWhatCrossedIt()
    {
        using var veth = new PeerVeth();
        var options = new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb };
        var rx = new AfXdpRx(options);
        var tx = new AfXdpTx(options);
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx)
            .Add("tx", tx)
            .Connect("rx", "tx")
            .Build();
        graph.Start();
        byte[] template = Frames.Make(veth.LocalMac, veth.PeerMac, 64, 0);
        KernelPeer.Send(veth, cpu: 0, count: 300, template);
        await Waits.Until(() => rx.GetStatistics().RxPackets >= 300, "300 frames on the AF_XDP socket");
        await graph.StopAsync(drain: true);

        DeviceCounters device = Assert.Single(graph.GetDeviceCounters());
        Assert.Equal(("rx", $"af_xdp {veth.Local} queue 0"), (device.Stage, device.Device));
        long Counter(string name) => device.Counters.Single(c => c.Key == name).Value;
        GraphStats stats = graph.GetStats();
        Assert.Equal(stats.Stage("rx").OutOn("out"), Counter("flow_rx_packets"));
        Assert.True(Counter("flow_rx_packets") >= 300, string.Join(", ", device.Counters));
        Assert.Equal(tx.GetStatistics().TxPackets, Counter("flow_tx_packets"));
        Assert.True(Counter("flow_tx_packets") > 0, string.Join(", ", device.Counters));
        Assert.Equal(0, Counter("rx_invalid_descs"));
        Assert.Equal(0, Counter("tx_invalid_descs"));
    }
}
