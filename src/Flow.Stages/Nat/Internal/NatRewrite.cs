using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Flow.Protocols;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Tcp;

namespace Flow.Stages.Nat.Internal;

/// <summary>
/// Rewrites one side of a packet's endpoint — address in the IPv4 header, port (ICMP query:
/// identifier) in the L4 header — and patches every checksum that covers them incrementally
/// (RFC 1624 eqn. 3; RFC 3022 4.2). Works on quoted packets inside ICMP errors too, whose L4 part
/// may stop after the ports: a checksum the quote does not hold is left alone.
/// </summary>
internal static class NatRewrite
{
    /// <summary>The port (or ICMP identifier) of one side; the caller checked <see cref="HasPorts"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Port(byte protocol, ReadOnlySpan<byte> l4, bool source) =>
        BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(PortOffset(protocol, source)));

    /// <summary>Whether <paramref name="l4"/> holds the whole UDP, TCP or ICMP header (what translating a packet, not a quote, needs).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasHeader(byte protocol, ReadOnlySpan<byte> l4) =>
        l4.Length >= (protocol == IpProtocol.Icmp ? IcmpHeader.Size : protocol == IpProtocol.Tcp ? TcpHeader.Size : 8);

    /// <summary>Whether <paramref name="l4"/> holds the ports (or the ICMP identifier).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasPorts(byte protocol, ReadOnlySpan<byte> l4) => l4.Length >= (protocol == IpProtocol.Icmp ? 6 : 4);

    /// <summary>Sets the source address and port, fixing the IPv4 header checksum and the L4 checksum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Source(ref Ipv4Header ip, Span<byte> l4, uint address, ushort port)
    {
        NetU32 before = ip.Source.Value;
        NetU32 after = new(address);
        ip.RewriteSource(new Ipv4Address(after));
        L4(ip.Protocol, l4, before, after, PortOffset(ip.Protocol, source: true), port);
    }

    /// <summary>Sets the destination address and port, fixing the IPv4 header checksum and the L4 checksum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Destination(ref Ipv4Header ip, Span<byte> l4, uint address, ushort port)
    {
        NetU32 before = ip.Destination.Value;
        NetU32 after = new(address);
        ip.RewriteDestination(new Ipv4Address(after));
        L4(ip.Protocol, l4, before, after, PortOffset(ip.Protocol, source: false), port);
    }

    /// <summary>
    /// Sets the source address only (1:1 mappings), fixing the IPv4 header checksum and, when this
    /// packet holds it, the UDP or TCP checksum over the pseudo-header.
    /// </summary>
    public static void SourceAddress(ref Ipv4Header ip, Span<byte> l4, uint address)
    {
        if (HoldsPseudoHeaderChecksum(ref ip, l4))
        {
            Source(ref ip, l4, address, Port(ip.Protocol, l4, source: true));
        }
        else
        {
            ip.RewriteSource(new Ipv4Address(new NetU32(address)));
        }
    }

    /// <summary>Sets the destination address only (1:1 mappings), as <see cref="SourceAddress"/>.</summary>
    public static void DestinationAddress(ref Ipv4Header ip, Span<byte> l4, uint address)
    {
        if (HoldsPseudoHeaderChecksum(ref ip, l4))
        {
            Destination(ref ip, l4, address, Port(ip.Protocol, l4, source: false));
        }
        else
        {
            ip.RewriteDestination(new Ipv4Address(new NetU32(address)));
        }
    }

    /// <summary>UDP or TCP whose header is in this packet (not a later fragment): its checksum covers the addresses.</summary>
    private static bool HoldsPseudoHeaderChecksum(ref Ipv4Header ip, Span<byte> l4) =>
        ip.FragmentOffset == 0 && ip.Protocol is IpProtocol.Udp or IpProtocol.Tcp && l4.Length >= 4;

    /// <summary>Recomputes an ICMP message's checksum after its quoted packet changed.</summary>
    public static void IcmpChecksum(Span<byte> icmp)
    {
        icmp[2] = 0;
        icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(2), Checksum.Compute(icmp).Host);
    }

    private static int PortOffset(byte protocol, bool source) => protocol == IpProtocol.Icmp ? 4 : source ? 0 : 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void L4(byte protocol, Span<byte> l4, NetU32 addressBefore, NetU32 addressAfter, int portOffset, ushort port)
    {
        NetU16 portBefore = new(BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(portOffset)));
        NetU16 portAfter = new(port);
        BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(portOffset), port);
        switch (protocol)
        {
            case IpProtocol.Udp when l4.Length >= 8:
                NetU16 udp = NetU16.FromRaw(Unsafe.ReadUnaligned<ushort>(ref l4[6]));
                // RFC 768: zero means the sender computed none; a computed zero is sent as 0xFFFF.
                if (udp.Raw != 0)
                {
                    udp = Checksum.Update(Checksum.Update(udp, addressBefore, addressAfter), portBefore, portAfter);
                    Unsafe.WriteUnaligned(ref l4[6], udp.Raw == 0 ? (ushort)0xFFFF : udp.Raw);
                }
                break;
            case IpProtocol.Tcp when l4.Length >= 18:
                NetU16 tcp = NetU16.FromRaw(Unsafe.ReadUnaligned<ushort>(ref l4[16]));
                Unsafe.WriteUnaligned(ref l4[16], Checksum.Update(Checksum.Update(tcp, addressBefore, addressAfter), portBefore, portAfter).Raw);
                break;
            case IpProtocol.Icmp when l4.Length >= 4:
                // ICMP has no pseudo-header: only the identifier is covered.
                NetU16 icmp = NetU16.FromRaw(Unsafe.ReadUnaligned<ushort>(ref l4[2]));
                Unsafe.WriteUnaligned(ref l4[2], Checksum.Update(icmp, portBefore, portAfter).Raw);
                break;
        }
    }

    /// <summary>
    /// The packet an ICMP error (<paramref name="icmp"/>, from its header on) quotes, when it is one
    /// the NAT could have translated: UDP or TCP with its ports, or an ICMP echo with its identifier.
    /// </summary>
    public static bool TryQuoted(Span<byte> icmp, out Ipv4Packet quoted)
    {
        if (!Ipv4Packet.TryParseQuoted(icmp.Slice(IcmpHeader.Size), out quoted))
        {
            return false;
        }
        byte protocol = quoted.Header.Protocol;
        Span<byte> l4 = quoted.Payload;
        return protocol is IpProtocol.Udp or IpProtocol.Tcp or IpProtocol.Icmp && HasPorts(protocol, l4)
            && (protocol != IpProtocol.Icmp || IsQuery(l4[0]));
    }

    /// <summary>Whether an ICMP type is a query the NAT maps by identifier (RFC 5508 3.1): echo.</summary>
    public static bool IsQuery(byte type) => type is IcmpType.EchoRequest or IcmpType.EchoReply;
}
