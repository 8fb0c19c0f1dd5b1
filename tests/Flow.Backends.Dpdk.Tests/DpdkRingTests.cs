using Xunit;

namespace Flow.Backends.Dpdk.Tests;

/// <summary>
/// <code>
///   [ Flow pool ] → dpdk_tx ─┐ net_ring (tx ring = rx ring) ┌→ dpdk_rx → test
/// </code>
/// </summary>
[Collection(nameof(DpdkCollection))]
public sealed unsafe class DpdkRingTests
{
    [Fact]
    public void FramesFromAnotherPoolAreCopiedOnceAndArriveByteForByte()
    {
        Devices.Require();
        var options = new DpdkOptions { Device = Devices.Unique("net_ring"), PoolMbufs = 1023, PoolCache = 0 };
        using var rx = new DpdkRx(options);
        using var tx = new DpdkTx(options);
        using var rxHarness = new Flow.StageHarness(rx);
        using var txHarness = new Flow.StageHarness(tx);
        using var source = new Flow.TestKit.LeakCheckingPool();
        int[] lengths = [60, 64, 100, 1514, 1518, 1984];
        var sent = new List<byte[]>();
        var packets = new List<Packet>();
        for (int i = 0; i < 40; i++)
        {
            byte[] frame = Devices.Frame(i, lengths[i % lengths.Length]);
            sent.Add(frame);
            packets.Add(source.Make(frame));
        }
        txHarness.Process(packets.ToArray());
        Assert.Equal(40, tx.Sent);
        Assert.Equal(40, tx.Copies);
        Assert.Equal(0, source.Pool.Outstanding);

        Assert.Equal(40, rxHarness.Poll());
        Packet[] received = rxHarness.Take("out");
        Assert.Equal(sent.Select(Convert.ToHexString), received.Select(p => Convert.ToHexString(p.Data)));
        Assert.All(received, p => Assert.Equal(rx.Pool.Id, p.Meta.PoolId));
        PacketPools.Free(received);
        Assert.Equal(0, rx.Pool.Outstanding);
    }

    [Fact]
    public void ReceivedFramesGoBackOutWithoutACopy()
    {
        Devices.Require();
        var options = new DpdkOptions { Device = Devices.Unique("net_ring"), PoolMbufs = 1023, PoolCache = 0 };
        using var rx = new DpdkRx(options);
        using var tx = new DpdkTx(options);
        using var rxHarness = new Flow.StageHarness(rx);
        using var txHarness = new Flow.StageHarness(tx);
        using var source = new Flow.TestKit.LeakCheckingPool();
        txHarness.Process([source.Make(Devices.Frame(1, 64)), source.Make(Devices.Frame(2, 1514))]);
        Assert.Equal(2, rxHarness.Poll());
        Packet[] first = rxHarness.Take("out");
        // A stage changes the frame in place (it owns it now) and sends it on.
        first[0].Data[20] = 0xEE;
        txHarness.Process(first);
        Assert.Equal(4, tx.Sent);
        Assert.Equal(2, tx.Copies);
        Assert.Equal(2, rxHarness.Poll());
        Packet[] second = rxHarness.Take("out");
        Assert.Equal(first.Select(p => (nint)p.Frame), second.Select(p => (nint)p.Frame));
        byte[] expected = Devices.Frame(1, 64);
        expected[20] = 0xEE;
        Assert.Equal(expected, second[0].Data.ToArray());
        Assert.Equal(Devices.Frame(2, 1514), second[1].Data.ToArray());
        PacketPools.Free(second);
        Assert.Equal(0, rx.Pool.Outstanding);
        Assert.Equal(0, rx.Pool.InvalidFrees);
    }

    [Fact]
    public void APacketOfOneDpdkPortGoesOutAnotherWithoutACopy()
    {
        Devices.Require();
        var a = new DpdkOptions { Device = Devices.Unique("net_ring"), PoolMbufs = 255, PoolCache = 0 };
        var b = new DpdkOptions { Device = Devices.Unique("net_ring"), PoolMbufs = 255, PoolCache = 0 };
        using var rxA = new DpdkRx(a);
        using var txA = new DpdkTx(a);
        using var rxB = new DpdkRx(b);
        using var txB = new DpdkTx(b);
        using var rxAHarness = new StageHarness(rxA);
        using var txAHarness = new StageHarness(txA);
        using var rxBHarness = new StageHarness(rxB);
        using var txBHarness = new StageHarness(txB);
        using var source = new Flow.TestKit.LeakCheckingPool(8);
        txAHarness.Process([source.Make(Devices.Frame(7, 300))]);
        Assert.Equal(1, rxAHarness.Poll());
        Packet[] fromA = rxAHarness.Take("out");
        // A's mbuf out of port B: the ring hands B's rx an mbuf of A's mempool.
        txBHarness.Process(fromA);
        Assert.Equal(0, txB.Copies);
        Assert.Equal(1, rxBHarness.Poll());
        Packet[] atB = rxBHarness.Take("out");
        Assert.Equal(rxA.Pool.Id, atB[0].Meta.PoolId);
        Assert.Equal((nint)fromA[0].Frame, (nint)atB[0].Frame);
        Assert.Equal(Devices.Frame(7, 300), atB[0].Data.ToArray());
        PacketPools.Free(atB);
        Assert.Equal(0, rxA.Pool.Outstanding);
        Assert.Equal(0, rxB.Pool.Outstanding);
    }
}
