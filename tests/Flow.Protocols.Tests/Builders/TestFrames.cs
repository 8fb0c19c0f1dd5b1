using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Ipv6;
using Flow.Protocols.Udp;

namespace Flow.Protocols.Tests.Builders;

/// <summary>Addresses and small frame compositions shared by the builder tests.</summary>
internal static class TestFrames
{
    public static readonly MacAddress MacA = new(0x02, 0, 0, 0, 0, 0x0a);
    public static readonly MacAddress MacB = new(0x02, 0, 0, 0, 0, 0x0b);
    public static readonly Ipv4Address IpA = new(192, 0, 2, 1);
    public static readonly Ipv4Address IpB = new(198, 51, 100, 7);
    public static readonly Ipv4Address Router = new(10, 9, 9, 9);
    public static readonly Ipv6Address Ip6A = new(System.Net.IPAddress.Parse("2001:db8::1").GetAddressBytes());
    public static readonly Ipv6Address Ip6B = new(System.Net.IPAddress.Parse("fe80::200:ff:fe00:b").GetAddressBytes());

    /// <summary>Ethernet + IPv4 + UDP around <paramref name="payload"/>, all written by Flow's builders.</summary>
    public static byte[] UdpV4(ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, Ipv4Address? source = null, Ipv4Address? destination = null, MacAddress? destinationMac = null)
    {
        Ipv4Address src = source ?? IpA, dst = destination ?? IpB;
        byte[] frame = new byte[EthernetHeader.Size + Ipv4Header.Size + UdpHeader.Size + payload.Length];
        Span<byte> l3 = frame.AsSpan(EthernetHeader.Size);
        Assert.True(EthernetBuilder.TryWriteHeader(frame, destinationMac ?? MacB, MacA, EtherType.Ipv4));
        payload.CopyTo(l3.Slice(Ipv4Header.Size + UdpHeader.Size));
        Assert.True(UdpBuilder.TryWrite(l3.Slice(Ipv4Header.Size), sourcePort, destinationPort, payload.Length, src, dst));
        Assert.True(Ipv4Builder.TryWriteHeader(l3, src, dst, IpProtocol.Udp, UdpHeader.Size + payload.Length, identification: 0x1234));
        return frame;
    }

    /// <summary>Ethernet + IPv4 + ICMP echo request with a correct checksum.</summary>
    public static byte[] EchoRequest(ushort identifier, ushort sequence, ReadOnlySpan<byte> data)
    {
        byte[] frame = new byte[EthernetHeader.Size + Ipv4Header.Size + IcmpHeader.Size + data.Length];
        EthernetBuilder.TryWriteHeader(frame, MacB, MacA, EtherType.Ipv4);
        Span<byte> icmp = frame.AsSpan(EthernetHeader.Size + Ipv4Header.Size);
        icmp[0] = IcmpType.EchoRequest;
        icmp[1] = 0;
        icmp[2] = icmp[3] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], identifier);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        data.CopyTo(icmp[8..]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Compute(icmp).Host);
        Ipv4Builder.TryWriteHeader(frame.AsSpan(EthernetHeader.Size), IpA, IpB, IpProtocol.Icmp, icmp.Length);
        return frame;
    }

    /// <summary>Wraps an L3 packet in an Ethernet header.</summary>
    public static byte[] WrapEthernet(MacAddress destination, ushort etherType, ReadOnlySpan<byte> l3)
    {
        byte[] frame = new byte[EthernetHeader.Size + l3.Length];
        EthernetBuilder.TryWriteHeader(frame, destination, MacA, etherType);
        l3.CopyTo(frame.AsSpan(EthernetHeader.Size));
        return frame;
    }
}
