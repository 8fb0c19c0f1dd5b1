using Xunit;

namespace Flow.Core.Tests.Packets;

public class PacketDataTests
{
    [Fact]
    public void PrependAndTrimMoveTheDataStartAndOffsets()
    {
        using PacketPool pool = PacketPool.Create(2);
        Assert.True(pool.TryAllocate(out Packet packet));
        Assert.True(packet.TrySetLength(60));
        packet.Meta.L3Offset = 14;
        Assert.True(packet.TryPrepend(4));
        Assert.Equal(64, packet.Length);
        Assert.Equal(18, packet.Meta.L3Offset);
        Assert.True(packet.TryTrimFront(4));
        Assert.Equal(60, packet.Length);
        Assert.Equal(14, packet.Meta.L3Offset);
        pool.Free(packet);
    }

    [Fact]
    public void PrependBeyondHeadroomAndLengthBeyondFrameAreRefused()
    {
        using PacketPool pool = PacketPool.Create(2);
        Assert.True(pool.TryAllocate(out Packet packet));
        Assert.False(packet.TryPrepend(packet.Headroom + 1));
        Assert.True(packet.TryPrepend(packet.Headroom));
        Assert.False(packet.TrySetLength(packet.Capacity + 1));
        Assert.True(packet.TrySetLength(packet.Capacity));
        Assert.False(packet.TryTrimFront(packet.Length + 1));
        pool.Free(packet);
    }

    [Fact]
    public void CloneCopiesDataAndMetadataIntoAFreshFrame()
    {
        using PacketPool pool = PacketPool.Create(4);
        Assert.True(pool.TryAllocate(out Packet original));
        original.TrySetLength(100);
        original.Data.Fill(0xAB);
        original.Meta.InputPort = 3;
        original.Meta.L3Offset = 14;
        original.Meta.UserWord = 42;
        Assert.True(pool.TryClone(original, out Packet copy));
        Assert.NotEqual(original, copy);
        Assert.True(copy.Data.SequenceEqual(original.Data));
        Assert.Equal(3, copy.Meta.InputPort);
        Assert.Equal(14, copy.Meta.L3Offset);
        Assert.Equal(42ul, copy.Meta.UserWord);
        pool.Free(original);
        pool.Free(copy);
    }
}
