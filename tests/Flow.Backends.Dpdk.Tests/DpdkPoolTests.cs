using Xunit;

namespace Flow.Backends.Dpdk.Tests;

/// <summary>The port's mempool as a Flow pool: allocation, exhaustion, refused frees.</summary>
[Collection(nameof(DpdkCollection))]
public sealed unsafe class DpdkPoolTests
{
    [Fact]
    public void FramesAreTheMbufsDataBuffersAndEveryOneIsIndexed()
    {
        Devices.Require();
        using var port = DpdkPort.Open(new DpdkOptions { Device = Devices.Unique("net_null"), PoolMbufs = 255, PoolCache = 0 });
        PacketPool pool = port.Pool;
        Assert.Equal(255, pool.FrameCount);
        Assert.Equal(2176, pool.FrameSize);
        Assert.Equal(128, pool.DataOffset);
        Assert.True(pool.FrameStride >= 2176 + 128);
        var packets = new Packet[255];
        Assert.Equal(255, pool.AllocateBulk(packets));
        Assert.Equal(255, packets.Select(p => pool.IndexOf(p)).Distinct().Count());
        foreach (Packet packet in packets)
        {
            // The mbuf's buf_addr is the frame: Flow and DPDK see the same bytes.
            nint mbuf = port.MbufOf(packet);
            Assert.Equal((nint)packet.Frame, Internal(mbuf));
        }
        pool.FreeBulk(packets);
        Assert.Equal(0, pool.Outstanding);
    }

    private static nint Internal(nint mbuf) => *(nint*)mbuf;

    [Fact]
    public void AnExhaustedPoolIsCountedByFlowAndByTheTxCopyPath()
    {
        Devices.Require();
        var options = new DpdkOptions { Device = Devices.Unique("net_ring"), PoolMbufs = 63, PoolCache = 0 };
        using var tx = new DpdkTx(options);
        using var txHarness = new StageHarness(tx);
        PacketPool pool = tx.Port.Pool;
        var held = new Packet[80];
        Assert.Equal(63, pool.AllocateBulk(held));
        Assert.Equal(17, pool.AllocationFailures);
        using var source = new Flow.TestKit.LeakCheckingPool(8);
        txHarness.Process([source.Make(Devices.Frame(1, 60)), source.Make(Devices.Frame(2, 60))]);
        Assert.Equal(2, txHarness.Stats.DroppedFor("pool_empty"));
        Assert.Equal(0, tx.Sent);
        pool.FreeBulk(held.AsSpan(0, 63));
        txHarness.Process([source.Make(Devices.Frame(3, 60))]);
        Assert.Equal(1, tx.Sent);
        Assert.True(txHarness.Stats.IsBalanced);
    }

    [Fact]
    public void ADoubleFreeAndAFreeAfterTransmitAreRefusedAndCounted()
    {
        Devices.Require();
        var options = new DpdkOptions { Device = Devices.Unique("net_ring"), PoolMbufs = 63, PoolCache = 0 };
        using var tx = new DpdkTx(options);
        using var txHarness = new StageHarness(tx);
        PacketPool pool = tx.Port.Pool;
        Assert.True(pool.TryAllocate(out Packet packet));
        Assert.True(packet.TrySetLength(60));
        txHarness.Process([packet]);
        Assert.Equal(1, tx.Sent);
        Assert.Equal(0, tx.Copies);
        // The driver owns the mbuf now (the ring holds it): a stray free must not reach the mempool.
        pool.Free(packet);
        Assert.Equal(1, pool.InvalidFrees);
    }

    [Fact]
    public void AFrameLongerThanTheDataRoomIsDroppedAsTooBig()
    {
        Devices.Require();
        using var tx = new DpdkTx(new DpdkOptions { Device = Devices.Unique("net_ring"), PoolMbufs = 63, PoolCache = 0 });
        using var txHarness = new StageHarness(tx);
        using var big = PacketPool.Create(4, frameSize: 4096, name: "big");
        Assert.True(big.TryAllocate(out Packet packet));
        Assert.True(packet.TrySetLength(3000));
        txHarness.Process([packet]);
        Assert.Equal(1, txHarness.Stats.DroppedFor("too_big"));
        Assert.Equal(0, big.Outstanding);
    }
}
