using Xunit;

namespace Flow.Core.Tests.Packets;

/// <summary>
/// <see cref="PacketPool.AllocateBulkForReceive"/> and <see cref="PacketPool.ResetReceived"/>:
/// frames a backend receives into get their metadata written once, at receive, and end up
/// exactly like a fresh allocation.
/// </summary>
public unsafe class PacketPoolReceiveTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AReceivedFrameHasTheMetadataOfAFreshAllocationWithItsLengthPortAndFlags(bool threadCache)
    {
        PoolThread.Run(threadCache, () =>
        {
            using PacketPool pool = PacketPool.Create(1024, frameSize: 2176); // big enough for a thread cache
            var fresh = new Packet[2];
            Assert.Equal(2, pool.AllocateBulk(fresh));
            fresh[1].Meta.Length = 60;
            fresh[1].Meta.InputPort = 7;
            fresh[1].Meta.Flags = PacketFlags.L2Valid;
            var received = new Packet[8];
            Assert.Equal(8, pool.AllocateBulkForReceive(received));
            foreach (Packet packet in received)
            {
                byte* frame = packet.Frame;
                // What an earlier use of the packet may leave in every field a stage can write.
                packet.Meta.UserWord = packet.Meta.Sequence = ulong.MaxValue;
                packet.Meta.Hash = packet.Meta.NextHop = uint.MaxValue;
                packet.Meta.L2Offset = packet.Meta.L3Offset = packet.Meta.L4Offset = packet.Meta.VlanTci = ushort.MaxValue;
                packet.Meta.Timestamp = -1;
                pool.ResetReceived(packet, 60, 7, PacketFlags.L2Valid);

                Assert.Equal(Meta(fresh[1]) with { FrameField = frame }, Meta(packet));
                Assert.Equal((uint)((packet.Frame - pool.Region) / pool.FrameSize), pool.IndexOf(packet));
                Assert.Equal(60, packet.Length);
            }
            pool.FreeBulk(received);
            pool.FreeBulk(fresh);
            Assert.Equal(0, pool.InvalidFrees);
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FramesAllocatedForReceiveKeepTheirOldMetadataAndMayBeFreedUnreceived(bool threadCache)
    {
        PoolThread.Run(threadCache, () =>
        {
            // Without a cache, a pool of exactly 8 hands the same frames out again; with one, its LIFO does.
            using PacketPool pool = PacketPool.Create(threadCache ? 1024 : 8);
            var first = new Packet[8];
            pool.AllocateBulk(first);
            foreach (Packet packet in first)
            {
                packet.Meta.UserWord = 0x5EED;
            }
            pool.FreeBulk(first);

            var posted = new Packet[8];
            Assert.Equal(8, pool.AllocateBulkForReceive(posted));

            Assert.All(posted, p => Assert.Equal(0x5EEDUL, p.Meta.UserWord)); // not rewritten: the receive will
            pool.FreeBulk(posted); // a ring torn down before anything arrived
            Assert.Equal(0, pool.InvalidFrees);
            Assert.Equal(pool.FrameCount, pool.Available);
        });
    }

    [Fact]
    public void AnEmptyPoolCountsTheShortfallOfAReceiveAllocation()
    {
        using PacketPool pool = PacketPool.Create(4);
        var posted = new Packet[6];

        Assert.Equal(4, pool.AllocateBulkForReceive(posted));

        Assert.Equal(2, pool.AllocationFailures);
        pool.FreeBulk(posted.AsSpan(0, 4));
    }

    private static PacketMeta Meta(Packet packet) => packet.Meta;
}
