using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Stages.Nat.Internal;

namespace Flow.Stages.Nat;

/// <summary>
/// One NAT's outside interface as every NAT of the router sees it, for a router with several
/// (dual WAN, "source in, source out"): its port, the table whose sessions are seen at its
/// addresses, its 1:1 hosts, and the outbound half's memory of first fragments. A packet about to
/// leave by any outside interface belongs to the NAT that already translates its conversation
/// (<see cref="Owns"/>), wherever routing sends it. Registered in <see cref="NatTables"/>; read by
/// the NATs' stages, which all run once, on one worker.
/// </summary>
internal sealed class NatOutside(string name, ushort port, NatTable table)
{
    public string Name => name;

    public ushort Port => port;

    public NatTable Table => table;

    public NatOneToOne[] OneToOne { get; set; } = [];

    /// <summary>Where <c>nat_out</c> remembers the translation of first fragments (null until it is made).</summary>
    public NatFragments? Fragments { get; set; }

    /// <summary>
    /// Whether the packet from inside at <paramref name="header"/> is this NAT's: its source is
    /// one of the NAT's external addresses (the router's own) or a 1:1 host of it, or its
    /// conversation has a session here — for a later fragment, its first fragment was translated
    /// here; for an ICMP error, the packet it quotes came in through this NAT.
    /// </summary>
    public bool Owns(ref Ipv4Header header, Span<byte> l4, long now)
    {
        uint source = header.Source.Value.Host;
        if (table.IsExternal(source) || Nat.OneToOne.ExternalOf(OneToOne, source) is not null)
        {
            return true;
        }
        byte protocol = header.Protocol;
        uint remote = header.Destination.Value.Host;
        if (header.FragmentOffset > 0)
        {
            return Fragments is { } fragments && fragments.Knows(source, remote, header.Identification.Host, protocol, now);
        }
        if (protocol == IpProtocol.Icmp && l4.Length >= IcmpHeader.Size && IcmpType.IsError(l4[0]))
        {
            return OwnsQuoted(l4);
        }
        if (protocol is not (IpProtocol.Udp or IpProtocol.Tcp or IpProtocol.Icmp) || !NatRewrite.HasPorts(protocol, l4))
        {
            return false;
        }
        ushort localPort = NatRewrite.Port(protocol, l4, source: true);
        ushort remotePort = protocol == IpProtocol.Icmp ? (ushort)0 : NatRewrite.Port(protocol, l4, source: false);
        return table.FindByInside(source, localPort, remote, remotePort, protocol) >= 0;
    }

    /// <summary>An ICMP error from inside: the packet it quotes went remote → inside through this NAT.</summary>
    private bool OwnsQuoted(Span<byte> icmp)
    {
        if (!NatRewrite.TryQuoted(icmp, out Ipv4Packet quoted))
        {
            return false;
        }
        ref Ipv4Header inner = ref quoted.Header;
        byte protocol = inner.Protocol;
        Span<byte> l4 = quoted.Payload;
        uint inside = inner.Destination.Value.Host;
        uint remote = inner.Source.Value.Host;
        if (Nat.OneToOne.ExternalOf(OneToOne, inside) is not null)
        {
            return true;
        }
        ushort insidePort = NatRewrite.Port(protocol, l4, source: false);
        ushort remotePort = protocol == IpProtocol.Icmp ? (ushort)0 : NatRewrite.Port(protocol, l4, source: true);
        return table.FindByInside(inside, insidePort, remote, remotePort, protocol) >= 0
            || table.FindMappingByInside(inside, insidePort, protocol, remote, remotePort) >= 0;
    }
}
