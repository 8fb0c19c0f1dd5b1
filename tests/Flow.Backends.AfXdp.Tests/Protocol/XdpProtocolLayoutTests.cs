using System.Runtime.CompilerServices;
using Flow.Backends.AfXdp.Protocol;
using Xunit;

namespace Flow.Backends.AfXdp.Tests.Protocol;

/// <summary>The AF_XDP structs match linux/if_xdp.h byte for byte (sizes and offsets).</summary>
public sealed class XdpProtocolLayoutTests
{
    [Fact]
    public unsafe void DescriptorIsSixteenBytesWithAddrLenOptions()
    {
        Assert.Equal(16, Unsafe.SizeOf<XdpDesc>());
        XdpDesc d = default;
        Assert.Equal(0, (int)((byte*)&d.Addr - (byte*)&d));
        Assert.Equal(8, (int)((byte*)&d.Len - (byte*)&d));
        Assert.Equal(12, (int)((byte*)&d.Options - (byte*)&d));
    }

    [Fact]
    public unsafe void RingOffsetsAreFourU64AndTheMmapAnswerHoldsFourRings()
    {
        Assert.Equal(32, Unsafe.SizeOf<XdpRingOffset>());
        Assert.Equal(128, Unsafe.SizeOf<XdpMmapOffsets>());
        XdpMmapOffsets o = default;
        Assert.Equal(0, (int)((byte*)&o.Rx - (byte*)&o));
        Assert.Equal(32, (int)((byte*)&o.Tx - (byte*)&o));
        Assert.Equal(64, (int)((byte*)&o.Fill - (byte*)&o));
        Assert.Equal(96, (int)((byte*)&o.Completion - (byte*)&o));
        XdpRingOffset r = default;
        Assert.Equal(8, (int)((byte*)&r.Consumer - (byte*)&r));
        Assert.Equal(16, (int)((byte*)&r.Desc - (byte*)&r));
        Assert.Equal(24, (int)((byte*)&r.Flags - (byte*)&r));
    }

    [Fact]
    public unsafe void UmemRegistrationMatchesTheV3KernelStruct()
    {
        Assert.Equal(32, Unsafe.SizeOf<XdpUmemReg>());
        XdpUmemReg u = default;
        Assert.Equal(8, (int)((byte*)&u.Len - (byte*)&u));
        Assert.Equal(16, (int)((byte*)&u.ChunkSize - (byte*)&u));
        Assert.Equal(20, (int)((byte*)&u.Headroom - (byte*)&u));
        Assert.Equal(24, (int)((byte*)&u.Flags - (byte*)&u));
        Assert.Equal(28, (int)((byte*)&u.TxMetadataLen - (byte*)&u));
    }

    [Fact]
    public unsafe void StatisticsHoldSixCountersInKernelOrder()
    {
        Assert.Equal(48, Unsafe.SizeOf<XdpStatistics>());
        XdpStatistics s = default;
        Assert.Equal(0, (int)((byte*)&s.RxDropped - (byte*)&s));
        Assert.Equal(8, (int)((byte*)&s.RxInvalidDescs - (byte*)&s));
        Assert.Equal(16, (int)((byte*)&s.TxInvalidDescs - (byte*)&s));
        Assert.Equal(24, (int)((byte*)&s.RxRingFull - (byte*)&s));
        Assert.Equal(32, (int)((byte*)&s.RxFillRingEmptyDescs - (byte*)&s));
        Assert.Equal(40, (int)((byte*)&s.TxRingEmptyDescs - (byte*)&s));
    }

    [Fact]
    public unsafe void SockaddrXdpIsSixteenBytes()
    {
        Assert.Equal(16, Unsafe.SizeOf<SockaddrXdp>());
        SockaddrXdp a = default;
        Assert.Equal(2, (int)((byte*)&a.Flags - (byte*)&a));
        Assert.Equal(4, (int)((byte*)&a.Ifindex - (byte*)&a));
        Assert.Equal(8, (int)((byte*)&a.QueueId - (byte*)&a));
        Assert.Equal(12, (int)((byte*)&a.SharedUmemFd - (byte*)&a));
    }
}
