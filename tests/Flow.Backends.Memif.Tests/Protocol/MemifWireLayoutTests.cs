using System.Runtime.CompilerServices;
using Flow.Backends.Memif.Protocol;
using Xunit;

namespace Flow.Backends.Memif.Tests.Protocol;

/// <summary>Sizes and offsets of every memif wire struct against memif.h v2.0 (packed structs).</summary>
public unsafe class MemifWireLayoutTests
{
    private static int Offset<T>(ref T root, ref byte field) => (int)Unsafe.ByteOffset(ref Unsafe.As<T, byte>(ref root), ref field);

    [Fact]
    public void MessageIs128BytesWithTheBodyAfterTheType()
    {
        Assert.Equal(128, sizeof(MemifMessage));
        MemifMessage m = default;
        Assert.Equal(2, Offset(ref m, ref Unsafe.As<MemifHello, byte>(ref m.Hello)));
        Assert.Equal(2, Offset(ref m, ref Unsafe.As<MemifDisconnect, byte>(ref m.Disconnect)));
    }

    [Fact]
    public void HelloMatchesMemifH()
    {
        Assert.Equal(43, sizeof(MemifHello));
        MemifHello h = default;
        Assert.Equal(32, Offset(ref h, ref Unsafe.As<ushort, byte>(ref h.MinVersion)));
        Assert.Equal(34, Offset(ref h, ref Unsafe.As<ushort, byte>(ref h.MaxVersion)));
        Assert.Equal(36, Offset(ref h, ref Unsafe.As<ushort, byte>(ref h.MaxRegion)));
        Assert.Equal(38, Offset(ref h, ref Unsafe.As<ushort, byte>(ref h.MaxM2SRing)));
        Assert.Equal(40, Offset(ref h, ref Unsafe.As<ushort, byte>(ref h.MaxS2MRing)));
        Assert.Equal(42, Offset(ref h, ref h.MaxLog2RingSize));
    }

    [Fact]
    public void InitMatchesMemifH()
    {
        Assert.Equal(63, sizeof(MemifInit));
        MemifInit i = default;
        Assert.Equal(2, Offset(ref i, ref Unsafe.As<uint, byte>(ref i.InterfaceId)));
        Assert.Equal(6, Offset(ref i, ref i.Mode));
        Assert.Equal(7, (int)((byte*)i.Secret - (byte*)&i));
        Assert.Equal(31, (int)((byte*)i.Name - (byte*)&i));
    }

    [Fact]
    public void AddRegionAndAddRingMatchMemifH()
    {
        Assert.Equal(10, sizeof(MemifAddRegion));
        MemifAddRegion r = default;
        Assert.Equal(2, Offset(ref r, ref Unsafe.As<ulong, byte>(ref r.Size)));
        Assert.Equal(13, sizeof(MemifAddRing));
        MemifAddRing a = default;
        Assert.Equal(2, Offset(ref a, ref Unsafe.As<ushort, byte>(ref a.Index)));
        Assert.Equal(4, Offset(ref a, ref Unsafe.As<ushort, byte>(ref a.Region)));
        Assert.Equal(6, Offset(ref a, ref Unsafe.As<uint, byte>(ref a.Offset)));
        Assert.Equal(10, Offset(ref a, ref a.Log2RingSize));
        Assert.Equal(11, Offset(ref a, ref Unsafe.As<ushort, byte>(ref a.PrivateHeaderSize)));
    }

    [Fact]
    public void ConnectAndDisconnectMatchMemifH()
    {
        Assert.Equal(32, sizeof(MemifConnect));
        Assert.Equal(100, sizeof(MemifDisconnect));
        MemifDisconnect d = default;
        Assert.Equal(4, (int)((byte*)d.Reason - (byte*)&d));
    }

    [Fact]
    public void DescriptorIs16BytesFlagsRegionLengthOffsetMetadata()
    {
        Assert.Equal(16, sizeof(MemifDescriptor));
        MemifDescriptor d = default;
        Assert.Equal(2, Offset(ref d, ref Unsafe.As<ushort, byte>(ref d.Region)));
        Assert.Equal(4, Offset(ref d, ref Unsafe.As<uint, byte>(ref d.Length)));
        Assert.Equal(8, Offset(ref d, ref Unsafe.As<uint, byte>(ref d.Offset)));
        Assert.Equal(12, Offset(ref d, ref Unsafe.As<uint, byte>(ref d.Metadata)));
    }

    [Fact]
    public void OneStoreWritesEveryFieldOfADescriptorAndClearsMetadata()
    {
        MemifDescriptor d = new() { Metadata = 0xDEADBEEF };

        MemifDescriptor.Write(ref d, flags: 1, region: 0x0203, length: 0x04050607, offset: 0x08090A0B);

        Assert.Equal(1, d.Flags);
        Assert.Equal(0x0203, d.Region);
        Assert.Equal(0x04050607u, d.Length);
        Assert.Equal(0x08090A0Bu, d.Offset);
        Assert.Equal(0u, d.Metadata);
    }

    [Fact]
    public void RingHeaderKeepsHeadAndTailOnSeparateCacheLines()
    {
        Assert.Equal(128, sizeof(MemifRingHeader));
        MemifRingHeader h = default;
        Assert.Equal(4, Offset(ref h, ref Unsafe.As<ushort, byte>(ref h.Flags)));
        Assert.Equal(6, Offset(ref h, ref Unsafe.As<ushort, byte>(ref h.Head)));
        Assert.Equal(64, Offset(ref h, ref Unsafe.As<ushort, byte>(ref h.Tail)));
        Assert.Equal(128 + 16 * 1024, MemifRingHeader.SizeOf(10));
    }

    [Fact]
    public void ConstantsMatchMemifH()
    {
        Assert.Equal(0x3E31F20u, MemifConstants.Cookie);
        Assert.Equal(0x0200, MemifConstants.Version);
        Assert.Equal(8, (int)MemifMessageType.Disconnect);
        Assert.Equal(1, MemifConstants.RingFlagMaskInterrupt);
    }
}
