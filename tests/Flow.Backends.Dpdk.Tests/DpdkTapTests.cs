using Flow.TestKit;
using Xunit;

namespace Flow.Backends.Dpdk.Tests;

/// <summary>
/// DPDK's net_tap: the PMD makes a TAP interface, which the test moves into a private namespace
/// where scapy plays the Linux host.
/// <code>
///   [ dpdk_rx / dpdk_tx on net_tap ] ══ tap fd ══ [ namespace: dtap interface, scapy ]
/// </code>
/// </summary>
[Collection(nameof(DpdkCollection))]
public sealed class DpdkTapTests
{
    private const int TestEtherType = 0x88B5;

    [Fact]
    public async Task FramesCrossBetweenDpdkAndTheHostKernelBothWaysByteForByte()
    {
        Devices.Require();
        Shell.RequireRootAnd("ip", Shell.Python);
        using var ns = new NetnsFixture("dtp");
        string iface = NetnsFixture.UniqueName("dt", 15);
        // net_tap fills every rx descriptor with an mbuf up front: the pool must hold more than the ring.
        var options = new DpdkOptions { Device = $"{Devices.Unique("net_tap")},iface={iface}", PoolMbufs = 1023, RxDescriptors = 256, TxDescriptors = 256 };
        var rx = new DpdkRx(options);
        var tx = new DpdkTx(options);
        var capture = new CaptureSink();
        var frames = Enumerable.Range(0, 40).Select(i => Devices.Frame(i, new[] { 60, 1514, 99 }[i % 3])).ToList();
        bool released = false;
        var source = new FrameSource(frames, () => Volatile.Read(ref released));
        using (FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", source).Add("tx", tx).Connect("source", "tx")
            .Add("rx", rx).Add("sink", capture).Connect("rx", "sink").Build())
        {
            Assert.Equal("net_tap", rx.Port.Driver);
            Shell.Run("ip", "link", "set", iface, "netns", ns.Name);
            ns.Exec("ip", "link", "set", iface, "up");
            graph.Start();
            using System.Diagnostics.Process sniffer = Scapy.BeginSniff(ns, iface, frames.Count, TestEtherType);
            Volatile.Write(ref released, true);
            string[] atHost = Scapy.Collect(sniffer);
            string[] sent = Scapy.Send(ns, iface, $"""
                [Ether(src='02:00:00:00:0a:01', dst='02:00:00:00:0b:01', type={TestEtherType})/Raw(bytes([i]) * (46 + i * 30))
                 for i in range(30)]
                """);
            List<byte[]> OfType() => capture.Frames.Where(f => f.Length >= 14 && (f[12] << 8 | f[13]) == TestEtherType).ToList();
            await Waits.Until(() => OfType().Count >= sent.Length,
                () => $"{sent.Length} frames from the host, got {OfType().Count} (all {capture.Count}); host sniffed {atHost.Length}; port {rx.Port.Statistics}, rx {rx.Received}; {ns.Exec("ip", "-s", "link", "show", iface)}");
            await graph.StopAsync().WaitAsync(Waits.Limit);
            Assert.Equal(frames.Select(Convert.ToHexStringLower), atHost);
            Assert.Equal(sent, OfType().Select(Convert.ToHexStringLower));
            Assert.True(graph.GetStats().IsBalanced, string.Join("\n", graph.GetStats().Stages));
        }
    }
}
