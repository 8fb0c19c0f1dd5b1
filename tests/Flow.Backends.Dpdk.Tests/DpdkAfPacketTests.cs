using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Dpdk.Tests;

/// <summary>
/// DPDK's net_af_packet on a veth whose other end is a Linux host in a private namespace:
/// <code>
///   [ namespace: scapy ] peer ==veth== host [ net_af_packet: dpdk_rx / dpdk_tx ]
/// </code>
/// </summary>
[Collection(nameof(DpdkCollection))]
public sealed class DpdkAfPacketTests : IDisposable
{
    private const int TestEtherType = 0x88B5;
    private readonly NetnsFixture _ns;
    private readonly VethPair _veth;

    public DpdkAfPacketTests()
    {
        Devices.Require();
        Shell.RequireRootAnd("ip", Shell.Python);
        _ns = new NetnsFixture("dpk");
        try
        {
            _veth = new VethPair(_ns, "d", queues: 2);
        }
        catch
        {
            _ns.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _veth.Dispose();
        _ns.Dispose();
    }

    private static List<byte[]> OfType(CaptureSink capture) =>
        capture.Frames.Where(f => f.Length >= 14 && (f[12] << 8 | f[13]) == TestEtherType).ToList();

    [Fact]
    public async Task FramesTheLinuxHostSendsArriveByteForByte()
    {
        var rx = new DpdkRx(new DpdkOptions { Interface = _veth.HostName, PoolMbufs = 1023 });
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx).Add("sink", capture).Connect("rx", "sink").Build();
        graph.Start();
        string[] sent = Scapy.Send(_ns, _veth.PeerName, $"""
            [Ether(src='02:00:00:00:0a:01', dst='02:00:00:00:0b:01', type={TestEtherType})/Raw(bytes([i % 251]) * n)
             for i, n in enumerate([46, 50, 1500, 100, 47] * 20)]
            """);
        Assert.Equal(100, sent.Length);
        await Waits.Until(() => OfType(capture).Count >= sent.Length, $"{sent.Length} frames at {_veth.HostName}");
        await graph.StopAsync().WaitAsync(Waits.Limit);
        Assert.Equal(sent, OfType(capture).Select(Convert.ToHexStringLower));
        Assert.True(graph.GetStats().IsBalanced, string.Join("\n", graph.GetStats().Stages));
        Assert.Equal("net_af_packet", rx.Port.Driver);
        Assert.Equal(0, rx.Pool.Outstanding);
    }

    [Fact]
    public async Task FramesDpdkSendsArriveAtTheLinuxHostByteForByte()
    {
        var frames = Enumerable.Range(0, 60).Select(i => Devices.Frame(i, new[] { 60, 64, 1514, 333 }[i % 4])).ToList();
        using System.Diagnostics.Process sniffer = Scapy.BeginSniff(_ns, _veth.PeerName, frames.Count, TestEtherType);
        var source = new FrameSource(frames);
        var tx = new DpdkTx(new DpdkOptions { Interface = _veth.HostName, PoolMbufs = 1023 });
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", source).Add("tx", tx).Connect("source", "tx").Build();
        graph.Start();
        string[] received = Scapy.Collect(sniffer);
        await graph.StopAsync().WaitAsync(Waits.Limit);
        Assert.Equal(frames.Select(Convert.ToHexStringLower), received);
        Assert.Equal(60, tx.Sent);
        Assert.Equal(60, tx.Copies);
        Assert.True(graph.GetStats().IsBalanced, string.Join("\n", graph.GetStats().Stages));
    }

    [Fact]
    public async Task TwoQueuesSpreadFlowsAndKeepEachFlowOnOneCopy()
    {
        string device = $"net_af_packet_{_veth.HostName},iface={_veth.HostName},qpairs=2";
        var rx0 = new DpdkRx(new DpdkOptions { Device = device, Queues = 2, Queue = 0, PoolMbufs = 2047 });
        var rx1 = new DpdkRx(new DpdkOptions { Device = device, Queues = 2, Queue = 1, PoolMbufs = 2047 });
        var sink0 = new CaptureSink();
        var sink1 = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding).Worker(1, idle: IdlePolicy.Yielding)
            .Add("rx0", rx0, worker: 0).Add("sink0", sink0, worker: 0).Connect("rx0", "sink0")
            .Add("rx1", rx1, worker: 1).Add("sink1", sink1, worker: 1).Connect("rx1", "sink1")
            .Build();
        graph.Start();
        // 32 UDP flows (source ports 1000..1031), 10 frames each, interleaved.
        string[] sent = Scapy.Send(_ns, _veth.PeerName, """
            [Ether(src='02:00:00:00:0a:01', dst='02:00:00:00:0b:01')/IP(src='10.9.0.1', dst='10.9.0.2')/UDP(sport=1000 + f, dport=7)/Raw(b'x' * 20)
             for r in range(10) for f in range(32)]
            """);
        static List<int> Ports(CaptureSink sink) => sink.Frames
            .Where(f => f.Length >= 42 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 17)
            .Select(f => f[34] << 8 | f[35]).ToList();
        await Waits.Until(() => Ports(sink0).Count + Ports(sink1).Count >= sent.Length,
            () => $"{sent.Length} frames over two queues, got {Ports(sink0).Count} + {Ports(sink1).Count}");
        await graph.StopAsync().WaitAsync(Waits.Limit);
        List<int> on0 = Ports(sink0);
        List<int> on1 = Ports(sink1);
        Assert.True(on0.Count > 0 && on1.Count > 0, $"one queue got everything: {on0.Count} / {on1.Count}");
        Assert.Empty(on0.Distinct().Intersect(on1.Distinct()));
        Assert.Equal(Enumerable.Range(1000, 32), on0.Concat(on1).Distinct().Order());
        Assert.Same(rx0.Port, rx1.Port);
    }

    [Fact]
    public async Task AVethDeletedUnderARunningPortIsCountedAndTheGraphStopsCleanly()
    {
        var frames = Enumerable.Range(0, 20_000).Select(i => Devices.Frame(i, 64)).ToList();
        var source = new FrameSource(frames);
        var options = new DpdkOptions { Interface = _veth.HostName, PoolMbufs = 1023 };
        var rx = new DpdkRx(options);
        var tx = new DpdkTx(options);
        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", source).Add("tx", tx).Connect("source", "tx")
            .Add("rx", rx).Add("sink", capture).Connect("rx", "sink").Build();
        graph.Start();
        await Waits.Until(() => tx.Sent > 100, "the first frames out");
        _veth.Dispose();
        await Waits.Until(() => source.IsExhausted, "the source to finish after the veth went");
        await graph.StopAsync().WaitAsync(Waits.Limit);
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        // The driver takes every frame and counts the ones the kernel refused as errors.
        DpdkPortStatistics port = tx.Port.Statistics;
        Assert.True(port.OutErrors > 0, $"no tx error counted after the veth went: {port}");
        Assert.Equal(frames.Count, port.OutPackets + port.OutErrors + stats.Stages.Single(s => s.Name == "tx").DroppedTotal);
        Assert.Equal(0, rx.Pool.Outstanding);
        Assert.Equal(0, source.Pool.Outstanding);
    }
}
