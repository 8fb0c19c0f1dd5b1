using System.Runtime.CompilerServices;
using Xunit;

namespace Flow.Core.Tests.Packets;

public unsafe class PacketPoolAllocationTests
{
    [Fact]
    public void MetadataIsSixtyFourBytesWithDocumentedOffsets()
    {
        Assert.Equal(64, Unsafe.SizeOf<PacketMeta>());
        Assert.Equal(8, sizeof(Packet));
        PacketMeta meta = default;
        byte* b = (byte*)&meta;
        Assert.Equal(0, (byte*)&meta.DataOffset - b);
        Assert.Equal(2, (byte*)&meta.Length - b);
        Assert.Equal(4, (byte*)&meta.InputPort - b);
        Assert.Equal(6, (byte*)&meta.Flags - b);
        Assert.Equal(8, (byte*)&meta.L2Offset - b);
        Assert.Equal(10, (byte*)&meta.L3Offset - b);
        Assert.Equal(12, (byte*)&meta.L4Offset - b);
        Assert.Equal(14, (byte*)&meta.PoolIdField - b);
        Assert.Equal(16, (byte*)&meta.FrameField - b);
        Assert.Equal(24, (byte*)&meta.UserWord - b);
        Assert.Equal(32, (byte*)&meta.Hash - b);
        Assert.Equal(36, (byte*)&meta.VlanTci - b);
        Assert.Equal(38, (byte*)&meta.FrameSizeField - b);
        Assert.Equal(40, (byte*)&meta.Timestamp - b);
        Assert.Equal(48, (byte*)&meta.Sequence - b);
        Assert.Equal(56, (byte*)&meta.NextHop - b);
        Assert.Equal(60, (byte*)&meta.Owner - b);
    }

    [Fact]
    public void FreshPacketHasDefaultHeadroomAndEmptyData()
    {
        using PacketPool pool = PacketPool.Create(4);
        Assert.True(pool.TryAllocate(out Packet packet));
        Assert.Equal(0, packet.Length);
        Assert.Equal(PacketPool.DefaultDataOffset, packet.Meta.DataOffset);
        Assert.Equal(PacketPool.DefaultDataOffset, packet.Headroom);
        Assert.Equal(PacketPool.DefaultFrameSize - PacketPool.DefaultDataOffset, packet.Capacity);
        Assert.Equal(pool.Id, packet.Meta.PoolId);
        Assert.True(pool.Contains(packet.Frame));
        Assert.Equal(0, (long)packet.Frame % 64);
        pool.Free(packet);
    }

    [Fact]
    public void RegionIsPageAlignedNativeMemory()
    {
        using PacketPool pool = PacketPool.Create(8);
        Assert.Equal(0, (long)pool.Region % 4096);
    }

    [Fact]
    public void BulkAllocationGivesDistinctFramesAndFreeReturnsThem()
    {
        using PacketPool pool = PacketPool.Create(300);
        var packets = new Packet[300];
        Assert.Equal(300, pool.AllocateBulk(packets));
        Assert.Equal(300, packets.Select(p => (nint)p.Frame).Distinct().Count());
        Assert.Equal(0, pool.Available);
        pool.FreeBulk(packets);
        Assert.Equal(300, pool.Available);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void ExhaustionIsCountedNotThrown()
    {
        using PacketPool pool = PacketPool.Create(10);
        var packets = new Packet[16];
        Assert.Equal(10, pool.AllocateBulk(packets));
        Assert.Equal(6, pool.AllocationFailures);
        Assert.False(pool.TryAllocate(out _));
        Assert.Equal(7, pool.AllocationFailures);
        pool.FreeBulk(packets.AsSpan(0, 10));
    }

    [Fact]
    public void DoubleFreeIsRefusedAndCounted()
    {
        using PacketPool pool = PacketPool.Create(4);
        Assert.True(pool.TryAllocate(out Packet packet));
        pool.Free(packet);
        pool.Free(packet);
        Assert.Equal(1, pool.InvalidFrees);
        Assert.Equal(4, pool.Available);
    }

    [Fact]
    public void FreeOfForeignFrameIsRefusedAndCounted()
    {
        using PacketPool pool = PacketPool.Create(4);
        using PacketPool other = PacketPool.Create(4);
        Assert.True(other.TryAllocate(out Packet foreign));
        pool.Free(foreign);
        Assert.Equal(1, pool.InvalidFrees);
        other.Free(foreign);
        Assert.Equal(0, other.Outstanding);
    }

    [Fact]
    public void MixedBatchIsFreedToEachPacketsOwnPool()
    {
        using PacketPool a = PacketPool.Create(8);
        using PacketPool b = PacketPool.Create(8);
        var packets = new Packet[6];
        a.AllocateBulk(packets.AsSpan(0, 2));
        b.AllocateBulk(packets.AsSpan(2, 3));
        a.AllocateBulk(packets.AsSpan(5, 1));
        PacketPools.Free(packets);
        Assert.Equal(0, a.Outstanding);
        Assert.Equal(0, b.Outstanding);
    }

    [Fact]
    public void AFrameWhoseMetadataNamesAnotherPoolIsRefusedAndTheRestOfItsBatchFreed()
    {
        using PacketPool a = PacketPool.Create(8);
        using PacketPool b = PacketPool.Create(8);
        var packets = new Packet[4];
        a.AllocateBulk(packets.AsSpan(0, 1));
        b.AllocateBulk(packets.AsSpan(1, 1));
        a.AllocateBulk(packets.AsSpan(2, 2));
        packets[1].Meta.PoolIdField = a.Id;
        PacketPools.Free(packets);
        Assert.Equal(0, a.Outstanding);
        Assert.Equal(1, a.InvalidFrees);
        Assert.Equal(1, b.Outstanding);
        packets[1].Meta.PoolIdField = b.Id;
        PacketPools.Free(packets.AsSpan(1, 1));
        Assert.Equal(0, b.Outstanding);
    }

    [Fact]
    public void WrappedRegionServesFramesFromTheBackendsMemory()
    {
        const int frameSize = 4096;
        nuint length = 16 * frameSize;
        byte* region = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(length, 4096);
        bool released = false;
        try
        {
            using (PacketPool pool = PacketPool.Wrap(region, length, frameSize, 256, "umem", () => released = true))
            {
                Assert.Equal(16, pool.FrameCount);
                var packets = new Packet[16];
                Assert.Equal(16, pool.AllocateBulk(packets));
                foreach (Packet p in packets)
                {
                    Assert.True(p.Frame >= region && p.Frame < region + length);
                    Assert.Equal(0, (p.Frame - region) % frameSize);
                    Assert.Equal(256, p.Meta.DataOffset);
                }
                pool.FreeBulk(packets);
            }
            Assert.True(released);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(region);
        }
    }

    [Theory]
    [InlineData(0, 2048, 128)]
    [InlineData(4, 100, 64)]
    [InlineData(4, 2048, -1)]
    [InlineData(4, 2048, 2048)]
    public void BadGeometryIsRejectedWithAReason(int frames, int frameSize, int dataOffset)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PacketPool.Create(frames, frameSize, dataOffset));
        Assert.False(string.IsNullOrEmpty(e.Message));
    }
}
