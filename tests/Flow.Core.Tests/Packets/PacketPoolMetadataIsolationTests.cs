using Xunit;

namespace Flow.Core.Tests.Packets;

/// <summary>
/// ADR 006: a pool's frames hold packet bytes only. A wrapped region may be writable by a peer
/// (a memif region), so whatever is written into the frames — while the packets are allocated,
/// in flight, being freed — changes no metadata, moves no span outside its frame and refuses
/// no free.
/// </summary>
public unsafe class PacketPoolMetadataIsolationTests
{
    [Fact]
    public void ScribblingOverEveryByteOfTheRegionChangesNoPacketsMetadata()
    {
        nuint length = 64 * 2112;
        byte* region = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(length, 4096);
        try
        {
            using PacketPool pool = PacketPool.Wrap(region, length, 2112, PacketPool.DefaultDataOffset, "peer-writable");
            var packets = new Packet[64];
            Assert.Equal(64, pool.AllocateBulk(packets));
            for (int i = 0; i < packets.Length; i++)
            {
                Assert.True(packets[i].TrySetLength(60 + i));
                packets[i].Meta.InputPort = 3;
                packets[i].Meta.VlanTci = 10;
            }

            new Span<byte>(region, (int)length).Fill(0xFF); // what a hostile peer can do at any time

            for (int i = 0; i < packets.Length; i++)
            {
                Packet packet = packets[i];
                Assert.Equal((60 + i, (ushort)3, (ushort)10, pool.Id), (packet.Length, packet.Meta.InputPort, packet.Meta.VlanTci, packet.Meta.PoolId));
                Assert.True(pool.FrameAddress((uint)i) == packet.Frame);
                Assert.Equal((ushort)PacketPool.DefaultDataOffset, packet.Meta.DataOffset);
                Assert.True(packet.Data.Length == 60 + i && packet.Data[0] == 0xFF);
            }
            pool.FreeBulk(packets);
            Assert.Equal(0, pool.InvalidFrees);
            Assert.Equal(0, pool.Outstanding);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(region);
        }
    }

    [Fact]
    public void FreeingTakesTheFrameIndexFromTheHandleNotFromFrameMemory()
    {
        nuint length = 16 * 2112;
        byte* region = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(length, 4096);
        try
        {
            using PacketPool pool = PacketPool.Wrap(region, length, 2112, PacketPool.DefaultDataOffset, "peer-writable");
            var packets = new Packet[16];
            Assert.Equal(16, pool.AllocateBulk(packets));
            // A peer writing index-like garbage into every frame (the old layout's FrameIndex field
            // sat at byte 16) must not poison the free list with frames outside the pool.
            for (int i = 0; i < 16; i++)
            {
                new Span<uint>(region + (i * 2112), 2112 / 4).Fill(0x7FFF_FFFF);
            }

            pool.FreeBulk(packets);

            var again = new Packet[16];
            Assert.Equal(16, pool.AllocateBulk(again));
            Assert.All(again, p => Assert.True(pool.Contains(p.Frame)));
            Assert.Equal(16, again.Select(p => (nint)p.Frame).Distinct().Count());
            pool.FreeBulk(again);
            Assert.Equal(0, pool.InvalidFrees);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(region);
        }
    }

    [Fact]
    public void DataIsAlwaysASpanInsideTheFrameWhateverAStageWroteIntoTheOffsets()
    {
        using PacketPool pool = PacketPool.Create(4);
        Assert.True(pool.TryAllocate(out Packet packet));

        packet.Meta.Length = ushort.MaxValue;
        Assert.Equal(pool.FrameSize - PacketPool.DefaultDataOffset, packet.Data.Length);
        packet.Meta.DataOffset = ushort.MaxValue;
        Assert.Equal(0, packet.Data.Length);
        packet.Meta.DataOffset = (ushort)(pool.FrameSize - 10);
        Assert.Equal(10, packet.Data.Length);
        fixed (byte* data = packet.Data)
        {
            Assert.True(data + 10 <= packet.Frame + pool.FrameSize);
        }
        pool.Free(packet);
    }

    [Fact]
    public void AFreeOfAPointerThatIsNotAPacketOfThePoolIsRefusedAndCounted()
    {
        using PacketPool pool = PacketPool.Create(8);
        using PacketPool other = PacketPool.Create(8);
        Assert.True(pool.TryAllocate(out Packet mine));
        Assert.True(other.TryAllocate(out Packet foreign));

        pool.FreeBulk([foreign, mine, mine]);

        Assert.Equal(2, pool.InvalidFrees); // the foreign packet and the second free of mine
        Assert.Equal(0, pool.Outstanding);
        other.Free(foreign);
        Assert.Equal(0, other.Outstanding);
    }
}
