using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xunit;

namespace Flow.Backends.AfPacket.Tests.Protocol;

public class TpacketLayoutTests
{
    [Fact]
    public void Tpacket3HeaderMatchesLinuxIfPacketH()
    {
        Assert.Equal(48, Unsafe.SizeOf<Tpacket3Header>());
        Assert.Equal(12, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.SnapLength)));
        Assert.Equal(20, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.Status)));
        Assert.Equal(24, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.Mac)));
        Assert.Equal(28, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.RxHash)));
        Assert.Equal(32, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.VlanTci)));
        Assert.Equal(36, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.VlanTpid)));
    }

    [Fact]
    public void BlockDescriptorMatchesLinuxIfPacketH()
    {
        Assert.Equal(48, Unsafe.SizeOf<TpacketBlockDescriptor>());
        Assert.Equal(8, (int)Marshal.OffsetOf<TpacketBlockDescriptor>(nameof(TpacketBlockDescriptor.BlockStatus)));
        Assert.Equal(12, (int)Marshal.OffsetOf<TpacketBlockDescriptor>(nameof(TpacketBlockDescriptor.PacketCount)));
        Assert.Equal(16, (int)Marshal.OffsetOf<TpacketBlockDescriptor>(nameof(TpacketBlockDescriptor.OffsetToFirstPacket)));
        Assert.Equal(24, (int)Marshal.OffsetOf<TpacketBlockDescriptor>(nameof(TpacketBlockDescriptor.SequenceNumber)));
    }

    [Fact]
    public void Tpacket2HeaderMatchesLinuxIfPacketH()
    {
        Assert.Equal(32, Unsafe.SizeOf<Tpacket2Header>());
        Assert.Equal(4, (int)Marshal.OffsetOf<Tpacket2Header>(nameof(Tpacket2Header.Length)));
        Assert.Equal(24, (int)Marshal.OffsetOf<Tpacket2Header>(nameof(Tpacket2Header.VlanTci)));
        Assert.Equal(32, Tpacket2Header.DataOffset);
    }

    [Fact]
    public void SocketStructsMatchLinuxHeaders()
    {
        Assert.Equal(20, Unsafe.SizeOf<SockAddrLl>());
        Assert.Equal(4, (int)Marshal.OffsetOf<SockAddrLl>(nameof(SockAddrLl.InterfaceIndex)));
        Assert.Equal(12, (int)Marshal.OffsetOf<SockAddrLl>(nameof(SockAddrLl.Address)));
        Assert.Equal(16, Unsafe.SizeOf<PacketMembershipRequest>());
        Assert.Equal(28, Unsafe.SizeOf<TpacketRequest3>());
        Assert.Equal(16, (int)Marshal.OffsetOf<TpacketRequest3>(nameof(TpacketRequest3.RetireBlockTimeoutMs)));
        Assert.Equal(12, Unsafe.SizeOf<TpacketStatsV3>());
    }
}
