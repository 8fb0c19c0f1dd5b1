using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Flow.Hosting.Live;

/// <summary>
/// The headers of one frame as the packet filter and the trace read them: Ethernet, up to two
/// VLAN tags, then IPv4, IPv6 or ARP, then TCP, UDP or ICMP. Every read is bounded by the
/// frame: a truncated or lying header stops the decode there, it never reads past the end.
/// </summary>
internal struct PacketHeaders
{
    public const ushort EtherIpv4 = 0x0800;
    public const ushort EtherArp = 0x0806;
    public const ushort EtherIpv6 = 0x86DD;
    public const byte ProtoIcmp = 1;
    public const byte ProtoTcp = 6;
    public const byte ProtoUdp = 17;
    public const byte ProtoIcmpv6 = 58;

    public ulong DestinationMac;
    public ulong SourceMac;
    public int VlanCount;
    public ushort OuterVlan;
    public ushort InnerVlan;
    public ushort EtherType;

    /// <summary>4 or 6 when the addresses are IP addresses (ARP's sender and target count as IPv4 source and destination).</summary>
    public int IpVersion;
    public UInt128 SourceIp;
    public UInt128 DestinationIp;
    public byte Protocol;
    public byte Ttl;
    public bool HasPorts;
    public ushort SourcePort;
    public ushort DestinationPort;
    public bool HasIcmp;
    public byte IcmpType;
    public byte IcmpCode;
    public ushort ArpOperation;
    public int Length;

    /// <summary>Decodes as much of <paramref name="frame"/> as is there.</summary>
    public static PacketHeaders Decode(ReadOnlySpan<byte> frame)
    {
        var h = new PacketHeaders { Length = frame.Length };
        if (frame.Length < 14)
        {
            return h;
        }
        h.DestinationMac = Mac(frame);
        h.SourceMac = Mac(frame.Slice(6));
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12));
        int offset = 14;
        while (type is 0x8100 or 0x88A8 && h.VlanCount < 2 && frame.Length >= offset + 4)
        {
            ushort vid = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset)) & 0x0FFF);
            if (h.VlanCount == 0)
            {
                h.OuterVlan = vid;
            }
            else
            {
                h.InnerVlan = vid;
            }
            h.VlanCount++;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 2));
            offset += 4;
        }
        h.EtherType = type;
        ReadOnlySpan<byte> l3 = frame.Slice(offset);
        switch (type)
        {
            case EtherIpv4 when l3.Length >= 20 && l3[0] >> 4 == 4:
                int ihl = (l3[0] & 0x0F) * 4;
                h.IpVersion = 4;
                h.Ttl = l3[8];
                h.Protocol = l3[9];
                h.SourceIp = BinaryPrimitives.ReadUInt32BigEndian(l3.Slice(12));
                h.DestinationIp = BinaryPrimitives.ReadUInt32BigEndian(l3.Slice(16));
                bool firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(l3.Slice(6)) & 0x1FFF) == 0;
                if (ihl >= 20 && firstFragment && l3.Length > ihl)
                {
                    DecodeL4(ref h, l3.Slice(ihl));
                }
                break;
            case EtherIpv6 when l3.Length >= 40 && l3[0] >> 4 == 6:
                h.IpVersion = 6;
                h.Protocol = l3[6];
                h.Ttl = l3[7];
                h.SourceIp = BinaryPrimitives.ReadUInt128BigEndian(l3.Slice(8));
                h.DestinationIp = BinaryPrimitives.ReadUInt128BigEndian(l3.Slice(24));
                DecodeL4(ref h, l3.Slice(40));
                break;
            case EtherArp when l3.Length >= 28:
                h.ArpOperation = BinaryPrimitives.ReadUInt16BigEndian(l3.Slice(6));
                h.IpVersion = 4;
                h.SourceIp = BinaryPrimitives.ReadUInt32BigEndian(l3.Slice(14));
                h.DestinationIp = BinaryPrimitives.ReadUInt32BigEndian(l3.Slice(24));
                break;
        }
        return h;
    }

    /// <summary>One line: <c>02:00:00:00:00:01 > 02:00:00:00:00:02 vlan 10 IPv4 10.0.0.1 > 10.0.0.2 ttl 64 ICMP echo-request</c>.</summary>
    public override readonly string ToString()
    {
        var text = new StringBuilder();
        if (Length < 14)
        {
            return $"truncated frame ({Length} bytes)";
        }
        text.Append(FormatMac(SourceMac)).Append(" > ").Append(FormatMac(DestinationMac));
        if (VlanCount > 0)
        {
            text.Append(" vlan ").Append(OuterVlan);
        }
        if (VlanCount > 1)
        {
            text.Append(" vlan ").Append(InnerVlan);
        }
        if (EtherType == EtherArp && ArpOperation != 0)
        {
            text.Append(ArpOperation == 1 ? " ARP who-has " : " ARP reply ");
            text.Append(ArpOperation == 1 ? FormatIp(DestinationIp, 4) : FormatIp(SourceIp, 4));
            text.Append(ArpOperation == 1 ? " tell " + FormatIp(SourceIp, 4) : " is-at " + FormatMac(SourceMac));
            return text.ToString();
        }
        if (IpVersion == 0)
        {
            return text.Append(" ethertype 0x").Append(EtherType.ToString("x4", System.Globalization.CultureInfo.InvariantCulture)).ToString();
        }
        text.Append(IpVersion == 4 ? " IPv4 " : " IPv6 ").Append(FormatIp(SourceIp, IpVersion)).Append(" > ").Append(FormatIp(DestinationIp, IpVersion));
        text.Append(" ttl ").Append(Ttl);
        switch (Protocol)
        {
            case ProtoTcp when HasPorts:
                text.Append(" TCP ").Append(SourcePort).Append(" > ").Append(DestinationPort);
                break;
            case ProtoUdp when HasPorts:
                text.Append(" UDP ").Append(SourcePort).Append(" > ").Append(DestinationPort);
                break;
            case ProtoIcmp or ProtoIcmpv6 when HasIcmp:
                text.Append(Protocol == ProtoIcmp ? " ICMP " : " ICMPv6 ").Append(IcmpName());
                break;
            default:
                text.Append(" proto ").Append(Protocol);
                break;
        }
        return text.ToString();
    }

    public static string FormatMac(ulong mac) =>
        string.Join(':', Enumerable.Range(0, 6).Select(i => ((byte)(mac >> (8 * (5 - i)))).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    public static string FormatIp(UInt128 address, int version)
    {
        if (version == 4)
        {
            uint v4 = (uint)address;
            return new IPAddress([(byte)(v4 >> 24), (byte)(v4 >> 16), (byte)(v4 >> 8), (byte)v4]).ToString();
        }
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        return new IPAddress(bytes).ToString();
    }

    private readonly string IcmpName() => (Protocol, IcmpType) switch
    {
        (ProtoIcmp, 8) or (ProtoIcmpv6, 128) => "echo-request",
        (ProtoIcmp, 0) or (ProtoIcmpv6, 129) => "echo-reply",
        (ProtoIcmp, 3) or (ProtoIcmpv6, 1) => $"unreachable code {IcmpCode}",
        (ProtoIcmp, 11) or (ProtoIcmpv6, 3) => "time-exceeded",
        _ => $"type {IcmpType} code {IcmpCode}",
    };

    private static void DecodeL4(ref PacketHeaders h, ReadOnlySpan<byte> l4)
    {
        if (h.Protocol is ProtoTcp or ProtoUdp && l4.Length >= 4)
        {
            h.HasPorts = true;
            h.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            h.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(2));
        }
        else if (h.Protocol is ProtoIcmp or ProtoIcmpv6 && l4.Length >= 2)
        {
            h.HasIcmp = true;
            h.IcmpType = l4[0];
            h.IcmpCode = l4[1];
        }
    }

    private static ulong Mac(ReadOnlySpan<byte> bytes) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(2));
}
