using Flow.Stages.Vlan;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Vlan;

public sealed class VlanTaggerTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(64);
    private readonly StageHarness _harness = new(new VlanTagger(), "tag");

    private VlanTagger Tagger => (VlanTagger)_harness.Stage;

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    [Fact]
    public void PushesTheTagFromMetadataAfterTheMacs()
    {
        byte[] frame = Frame(Host(2), Host(1), length: 60, fill: 0x33);
        Packet packet = _pool.Classified(0, 0x6000 | 20, Host(2), Host(1));
        frame.CopyTo(packet.Data);
        packet.TrySetLength(60);
        _harness.Process([packet]);
        Packet tagged = Assert.Single(_harness.Output("out"));
        Assert.Equal(64, tagged.Length);
        Assert.Equal(Host(2), new Flow.Protocols.Ethernet.MacAddress(tagged.Data));
        Assert.Equal(Host(1), new Flow.Protocols.Ethernet.MacAddress(tagged.Data[6..]));
        Assert.Equal(0x8100, TpidAt12(tagged));
        Assert.Equal(0x6000 | 20, TciAt14(tagged));
        Assert.True(tagged.Data[16..].SequenceEqual(frame.AsSpan(12)));
        Assert.True((tagged.Meta.Flags & PacketFlags.VlanStripped) == 0);
        Assert.Equal(1, Tagger.Tagged);
    }

    [Fact]
    public void LeavesFramesWithoutTheFlagAsTheyAre()
    {
        byte[] frame = Frame(Host(2), Host(1));
        _harness.Process([_pool.On(0, frame)]);
        Assert.True(Assert.Single(_harness.Output("out")).Data.SequenceEqual(frame));
        Assert.Equal(1, Tagger.Untagged);
    }

    [Theory]
    [InlineData(0x8100)]
    [InlineData(0x88A8)]
    [InlineData(0x9100)]
    public void DropsAFrameThatWouldLeaveUntaggedStartingWithATag(int tpid)
    {
        _harness.Process([_pool.On(0, Stacked(Host(2), Host(1), ((ushort)tpid, 20)))]);
        Assert.Empty(_harness.Output("out"));
        Assert.Equal(1, _harness.Stats.DroppedFor("double_tagged"));
        Assert.Equal(0, Tagger.Untagged);
    }

    [Fact]
    public void AStackedFrameLeavingTaggedGetsItsOuterTagInFront()
    {
        Packet packet = _pool.Classified(0, 20, Host(2), Host(1));
        Stacked(Host(2), Host(1), (0x8100, 30)).CopyTo(packet.Data);
        _harness.Process([packet]);
        Packet tagged = Assert.Single(_harness.Output("out"));
        Assert.Equal((0x8100, 20), (TpidAt12(tagged), TciAt14(tagged)));
        Assert.Equal(0x8100, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(tagged.Data[16..]));
        Assert.Equal(30, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(tagged.Data[18..]));
    }

    [Fact]
    public void DropsWhenThereIsNoHeadroomForTheTag()
    {
        using PacketPool tight = PacketPool.Create(4, dataOffset: 0, name: "no-headroom");
        Assert.True(tight.TryAllocate(out Packet packet));
        packet.TrySetLength(60);
        Frame(Host(2), Host(1), length: 60).CopyTo(packet.Data);
        packet.Meta.Flags |= PacketFlags.VlanStripped;
        packet.Meta.VlanTci = 10;
        _harness.Process([packet]);
        Assert.Equal(1, _harness.Stats.DroppedFor("no_headroom"));
        Assert.Empty(_harness.Output("out"));
        Assert.Equal(0, tight.Outstanding);
    }
}
