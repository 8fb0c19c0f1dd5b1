using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Backends.Dpdk.Tests;

/// <summary>net_null: a device that makes frames on rx and takes anything on tx.</summary>
[Collection(nameof(DpdkCollection))]
public sealed class DpdkNullTests
{
    [Fact]
    public void RxAndTxAreRegisteredByTheirTypeNamesWithTheirOptions()
    {
        using ServiceProvider provider = new ServiceCollection().AddFlow().AddFlowDpdk().BuildServiceProvider();
        var registry = provider.GetRequiredService<StageRegistry>();
        Assert.True(registry.TryGet("dpdk_rx", out StageRegistration rx));
        Assert.True(registry.TryGet("dpdk_tx", out StageRegistration tx));
        Assert.Equal(typeof(DpdkOptions), rx.OptionsType);
        Assert.Equal(typeof(DpdkOptions), tx.OptionsType);
        Assert.Equal(["chained", "missed"], rx.Descriptor.DropReasons.Select(d => d.Symbol).Take(2));
        Assert.Equal(["tx_full", "pool_empty", "too_big"], tx.Descriptor.DropReasons.Select(d => d.Symbol).Take(3));
    }

    [Fact]
    public async Task AGraphReceivesFromNetNullAndSendsBackIntoItWithoutACopy()
    {
        Devices.Require();
        var options = new DpdkOptions { Device = Devices.Unique("net_null") + ",size=128", PoolMbufs = 2047 };
        var rx = new DpdkRx(options);
        var tx = new DpdkTx(options);
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", rx).Add("tx", tx).Connect("rx", "tx").Build();
        graph.Start();
        await Flow.TestKit.Waits.Until(() => tx.Sent > 100_000, "100000 frames through net_null");
        await graph.StopAsync().WaitAsync(Flow.TestKit.Waits.Limit);
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(0, tx.Copies);
        Assert.Equal(rx.Received, tx.Sent + stats.Stages.Single(s => s.Name == "tx").DroppedTotal);
        Assert.Equal("net_null", rx.Port.Driver);
        DpdkPortStatistics port = rx.Port.Statistics;
        Assert.Equal(tx.Sent, port.OutPackets);
        Assert.Contains(rx.Port.ReadExtendedStatistics(), x => x.Key == "tx_good_packets" && (long)x.Value == tx.Sent);
        Assert.True(rx.Port.Link.Up);
        Assert.Equal(0, rx.Pool.Outstanding);
        Assert.Equal(0, rx.Pool.InvalidFrees);
        // The rx and tx stages share the port: its xstats are listed once, under the first stage.
        DeviceCounters device = Assert.Single(graph.GetDeviceCounters());
        Assert.Equal(("rx", rx.Port.Device), (device.Stage, device.Device));
        Assert.Contains(device.Counters, c => c.Key == "rx_good_packets" && c.Value == rx.Received);
        Assert.Contains(device.Counters, c => c.Key == "tx_good_packets" && c.Value == tx.Sent);
    }

    [Fact]
    public void ADeviceThatDoesNotProbeFailsNamingIt()
    {
        Devices.Require();
        var error = Assert.Throws<DpdkException>(() => new DpdkRx(new DpdkOptions { Device = "net_nosuchdriver0" }));
        Assert.Contains("'net_nosuchdriver0' does not probe", error.Message);
    }

    [Fact]
    public void TheRxAndTxOfOneDeviceShareOnePortAndItClosesWithTheLast()
    {
        Devices.Require();
        string device = Devices.Unique("net_null");
        int before = DpdkPorts.Count;
        var rx = new DpdkRx(new DpdkOptions { Device = device });
        var tx = new DpdkTx(new DpdkOptions { Device = device });
        Assert.Same(rx.Port, tx.Port);
        Assert.Equal(before + 1, DpdkPorts.Count);
        var error = Assert.Throws<ArgumentException>(() => new DpdkTx(new DpdkOptions { Device = device, Queues = 2 }));
        Assert.Contains("already open with other options", error.Message);
        rx.Dispose();
        Assert.True(tx.Port.IsOpen);
        tx.Dispose();
        Assert.False(tx.Port.IsOpen);
        Assert.Equal(before, DpdkPorts.Count);
        // The device was unplugged with the port: its name probes again.
        using var again = new DpdkRx(new DpdkOptions { Device = device });
        Assert.True(again.Port.IsOpen);
    }

    [Fact]
    public void PortsOpenAndCloseOverAndOverInOneProcess()
    {
        Devices.Require();
        string device = Devices.Unique("net_ring");
        for (int round = 0; round < 20; round++)
        {
            using var rx = new DpdkRx(new DpdkOptions { Device = device, PoolMbufs = 511, PoolCache = 32 });
            using var tx = new DpdkTx(new DpdkOptions { Device = device, PoolMbufs = 511, PoolCache = 32 });
            using var txHarness = new StageHarness(tx);
            using var rxHarness = new StageHarness(rx);
            using var source = new Flow.TestKit.LeakCheckingPool(16);
            txHarness.Process([source.Make(Devices.Frame(round, 60))]);
            Assert.Equal(1, rxHarness.Poll());
            Assert.Equal(Devices.Frame(round, 60), rxHarness.Output("out")[0].Data.ToArray());
        }
    }

    [Fact]
    public void ThePortsXstatsArePublishedOnFlowsMeter()
    {
        Devices.Require();
        using var tx = new DpdkTx(new DpdkOptions { Device = Devices.Unique("net_null"), PoolMbufs = 255, PoolCache = 0 });
        using var txHarness = new StageHarness(tx);
        using var source = new Flow.TestKit.LeakCheckingPool(8);
        txHarness.Process([source.Make(Devices.Frame(1, 60)), source.Make(Devices.Frame(2, 60)), source.Make(Devices.Frame(3, 60))]);
        var seen = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FlowMetrics.MeterName && instrument.Name == "flow.port.xstats")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string port = "", name = "";
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "port")
                {
                    port = (string)tag.Value!;
                }
                else if (tag.Key == "name")
                {
                    name = (string)tag.Value!;
                }
            }
            if (port == tx.Port.Device)
            {
                seen[name] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(3, seen["tx_good_packets"]);
    }
}
