using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flow.Protocols.Arp;
using Flow.Protocols.Dhcp;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Icmpv6;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;
using Flow.Protocols.Tcp;
using Flow.Protocols.Udp;
using Flow.Protocols.Vlan;

namespace Flow.Protocols.Tests;

/// <summary>Wire structs have exactly the RFC's size and field offsets (STYLE D4, after BESS static_asserts).</summary>
public sealed class WireLayoutTests
{
    [Fact]
    public void ScalarWireTypesHaveTheirWireSize()
    {
        Assert.Equal(2, Unsafe.SizeOf<NetU16>());
        Assert.Equal(4, Unsafe.SizeOf<NetU32>());
        Assert.Equal(6, Unsafe.SizeOf<MacAddress>());
        Assert.Equal(4, Unsafe.SizeOf<Ipv4Address>());
        Assert.Equal(16, Unsafe.SizeOf<Ipv6Address>());
    }

    [Theory]
    [InlineData(typeof(EthernetHeader), EthernetHeader.Size, "Destination:0 Source:6 EtherType:12")]
    [InlineData(typeof(VlanTag), VlanTag.Size, "ControlInformation:0 EtherType:2")]
    [InlineData(typeof(ArpHeader), ArpHeader.Size, "HardwareType:0 ProtocolType:2 HardwareLength:4 ProtocolLength:5 Operation:6 SenderHardwareAddress:8 SenderProtocolAddress:14 TargetHardwareAddress:18 TargetProtocolAddress:24")]
    [InlineData(typeof(Ipv4Header), Ipv4Header.Size, "VersionAndHeaderLength:0 TypeOfService:1 TotalLength:2 Identification:4 FlagsAndFragmentOffset:6 TimeToLive:8 Protocol:9 HeaderChecksum:10 Source:12 Destination:16")]
    [InlineData(typeof(IcmpHeader), IcmpHeader.Size, "Type:0 Code:1 Checksum:2 RestOfHeader:4")]
    [InlineData(typeof(UdpHeader), UdpHeader.Size, "SourcePort:0 DestinationPort:2 Length:4 Checksum:6")]
    [InlineData(typeof(TcpHeader), TcpHeader.Size, "SourcePort:0 DestinationPort:2 SequenceNumber:4 AcknowledgmentNumber:8 DataOffsetAndReserved:12 Flags:13 Window:14 Checksum:16 UrgentPointer:18")]
    [InlineData(typeof(DhcpHeader), DhcpHeader.Size, "Operation:0 HardwareType:1 HardwareLength:2 Hops:3 TransactionId:4 Seconds:8 Flags:10 ClientAddress:12 YourAddress:16 ServerAddress:20 GatewayAddress:24 ClientHardwareAddress:28 ServerName:44 BootFileName:108 MagicCookie:236")]
    [InlineData(typeof(Ipv6Header), Ipv6Header.Size, "VersionClassAndFlowLabel:0 PayloadLength:4 NextHeader:6 HopLimit:7 Source:8 Destination:24")]
    [InlineData(typeof(Icmpv6Header), Icmpv6Header.Size, "Type:0 Code:1 Checksum:2")]
    public void WireStructHasRfcSizeAndOffsets(Type type, int size, string offsets)
    {
        Assert.Equal(size, Marshal.SizeOf(type));
        Assert.Equal(size, (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!);
        foreach (string pair in offsets.Split(' '))
        {
            string[] parts = pair.Split(':');
            Assert.Equal(int.Parse(parts[1]), (int)Marshal.OffsetOf(type, parts[0]));
        }
    }

    [Fact]
    public void NetU16StoresNetworkOrderAndReadsBackHostOrder()
    {
        NetU16 value = new(0x0800);
        Span<byte> bytes = stackalloc byte[2];
        MemoryMarshal.Write(bytes, in value);
        Assert.Equal(new byte[] { 0x08, 0x00 }, bytes.ToArray());
        Assert.Equal(0x0800, value.Host);
    }

    [Fact]
    public void NetU32StoresNetworkOrderAndReadsBackHostOrder()
    {
        NetU32 value = new(0x63825363);
        Span<byte> bytes = stackalloc byte[4];
        MemoryMarshal.Write(bytes, in value);
        Assert.Equal(new byte[] { 99, 130, 83, 99 }, bytes.ToArray());
        Assert.Equal(0x63825363u, value.Host);
    }
}
