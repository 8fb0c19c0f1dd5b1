using Flow.Backends.Memif;
using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Dpdk.Tests;

/// <summary>
/// DPDK's net_memif as a Flow port, against Flow's own memif backend and against testpmd:
/// <code>
///   [ dpdk_tx → net_memif server ] ══ memif ══ [ Flow memif client → capture ]   (and back)
///   [ dpdk_tx → net_memif server ] ══ memif ══ [ testpmd net_memif client, io loop ] ══ → dpdk_rx
/// </code>
/// </summary>
[Collection(nameof(DpdkCollection))]
public sealed class DpdkMemifTests : IDisposable
{
    private readonly string _socket = $"/tmp/flow-d17-{Environment.ProcessId}-{Random.Shared.Next(1_000_000)}.sock";

    public void Dispose() => File.Delete(_socket);

    [Fact]
    public async Task FramesCrossBetweenDpdkNetMemifAndFlowsMemifBothWaysByteForByte()
    {
        Devices.Require();
        var dpdkOptions = new DpdkOptions { Device = $"{Devices.Unique("net_memif")},role=server,socket={_socket},socket-abstract=no,id=0", PoolMbufs = 2047 };
        var fromDpdk = Enumerable.Range(0, 200).Select(i => Devices.Frame(i, new[] { 60, 1514, 128 }[i % 3])).ToList();
        var fromFlow = Enumerable.Range(1000, 200).Select(i => Devices.Frame(i, new[] { 1514, 64, 900 }[i % 3])).ToList();
        var dpdkRx = new DpdkRx(dpdkOptions);
        var dpdkTx = new DpdkTx(dpdkOptions);
        var memifOptions = new MemifOptions { Socket = _socket, Role = MemifRole.Client, InterfaceId = 0, Name = "flow-d17" };
        var memifRx = new MemifRx(memifOptions);
        var memifTx = new MemifTx(memifOptions);
        var atDpdk = new CaptureSink();
        var atFlow = new CaptureSink();
        var dpdkSource = new FrameSource(fromDpdk, () => dpdkRx.Port.Link.Up && memifTx.Interface.IsConnected);
        var flowSource = new FrameSource(fromFlow, () => dpdkRx.Port.Link.Up && memifTx.Interface.IsConnected);
        using FlowGraph dpdk = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", dpdkSource).Add("tx", dpdkTx).Connect("source", "tx")
            .Add("rx", dpdkRx).Add("sink", atDpdk).Connect("rx", "sink").Build();
        using FlowGraph flow = new GraphBuilder().Worker(1, idle: IdlePolicy.Yielding)
            .Add("source", flowSource).Add("tx", memifTx).Connect("source", "tx")
            .Add("rx", memifRx).Add("sink", atFlow).Connect("rx", "sink").Build();
        dpdk.Start();
        flow.Start();
        await Waits.Until(() => atDpdk.Count >= fromFlow.Count && atFlow.Count >= fromDpdk.Count,
            () => $"DPDK got {atDpdk.Count}/{fromFlow.Count}, Flow memif got {atFlow.Count}/{fromDpdk.Count}; link {dpdkRx.Port.Link}, memif connected {memifTx.Interface.IsConnected}");
        await flow.StopAsync().WaitAsync(Waits.Limit);
        await dpdk.StopAsync().WaitAsync(Waits.Limit);
        Assert.Equal(fromFlow.Select(Convert.ToHexString), atDpdk.Frames.Select(Convert.ToHexString));
        Assert.Equal(fromDpdk.Select(Convert.ToHexString), atFlow.Frames.Select(Convert.ToHexString));
        Assert.True(dpdk.GetStats().IsBalanced, string.Join("\n", dpdk.GetStats().Stages));
        Assert.True(flow.GetStats().IsBalanced, string.Join("\n", flow.GetStats().Stages));
        Assert.Equal("net_memif", dpdkRx.Port.Driver);
        Assert.Equal(0, dpdkRx.Pool.Outstanding);
    }

    [Fact]
    public async Task TestpmdLoopsFramesBackThroughNetMemifByteForByte()
    {
        Devices.Require();
        var options = new DpdkOptions { Device = $"{Devices.Unique("net_memif")},role=server,socket={_socket},socket-abstract=no,id=0", PoolMbufs = 2047 };
        var frames = Enumerable.Range(0, 300).Select(i => Devices.Frame(i, new[] { 60, 1514, 200, 1000 }[i % 4])).ToList();
        var rx = new DpdkRx(options);
        var tx = new DpdkTx(options);
        var capture = new CaptureSink();
        using var testpmd = Testpmd.Forwarding(new TestpmdOptions
        {
            Devices = [$"net_memif0,role=client,socket={_socket},socket-abstract=no,id=0"],
            Arguments = "--forward-mode=io --port-topology=loop --no-flush-rx --total-num-mbufs=4096",
        });
        // Start testpmd's forwarding before anything is sent, then send once the link is up.
        var source = new FrameSource(frames, () => rx.Port.Link.Up);
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", source).Add("tx", tx).Connect("source", "tx")
            .Add("rx", rx).Add("sink", capture).Connect("rx", "sink").Build();
        graph.Start();
        await Waits.Until(() => capture.Count >= frames.Count, () => $"{capture.Count}/{frames.Count} back from testpmd; link {rx.Port.Link}\n{testpmd.Output}");
        await graph.StopAsync().WaitAsync(Waits.Limit);
        Assert.Equal(frames.Select(Convert.ToHexString), capture.Frames.Select(Convert.ToHexString));
        Assert.True(graph.GetStats().IsBalanced, string.Join("\n", graph.GetStats().Stages));
    }
}
