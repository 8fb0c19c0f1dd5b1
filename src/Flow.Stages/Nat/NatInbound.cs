using Flow.Protocols;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Tcp;
using Flow.Stages.Nat.Internal;

namespace Flow.Stages.Nat;

/// <summary>
/// The inbound half of a NAT44: packets to an external address that belong to a session, a
/// mapping the filter admits, or a port mapping get the internal endpoint as destination and go
/// back to routing; the rest are the router's own. ICMP errors about translated packets are
/// translated outer and inner (RFC 5508 4.2) without making or refreshing anything. A packet
/// from inside to an external endpoint is hairpinned (RFC 4787 REQ-9, RFC 5382 REQ-8): its
/// source becomes the sender's own external endpoint first, so the receiver sees it as any
/// remote would; its later fragments get both addresses of their first.
/// </summary>
/// <remarks>
/// Input: packets for the router's addresses (<c>ipv4_input</c>'s <c>local</c>).
/// Output <c>translated</c>: destination rewritten to an internal endpoint; route it
/// (<c>ipv4_lookup</c>) — it is forwarded like any packet, TTL included.
/// Output <c>local</c>: everything else, unchanged, for the router (<c>ipv4_local</c>): pings of
/// the external address, replies to the router's own ping, DHCP, UDP to unmapped ports (port
/// unreachable).
/// Drops: <c>filtered</c> (a mapping's filter refused the remote, RFC 4787 5),
/// <c>unsolicited_tcp</c> (a TCP segment to no session: silently, so a simultaneous open can
/// still happen, RFC 5382 REQ-4), <c>fragments_full</c> and <c>fragment_expired</c> (fragments
/// follow their first fragment's translation, in or out of order — a later fragment waits for its
/// first up to 30 s, 64 at most, <see cref="Internal.NatFragments"/>), <c>truncated</c>, <c>malformed</c>,
/// <c>limit</c> (an admitted SYN found the table full).
/// </remarks>
[SingleShard("its NAT table, shared with nat_out, may be written by one worker only")]
[Stage("nat_in", "NAT44 inbound: packets to an external address:port of a session, mapping or port mapping get their internal destination; hairpinning.",
    Accepts = typeof(Carries.Ipv4))]
public sealed partial class NatInbound : Stage<NatInbound.Output, NatInbound.Reason>
{
    private readonly NatTable _table;
    private readonly NatTables _tables;
    private readonly IFlowClock _clock;
    private readonly bool _enabled;
    private readonly ushort _outsidePort;

    private readonly NatCounters _counters;
    private readonly NatFragments _fragments = new();
    private readonly NatOneToOne[] _oneToOne;
    private NatOptions _options; // a reload may give it new port mappings (NatInbound.Reconfigure.cs)
    private IReadOnlyList<NatStaticMapping> _portMappings;

    public NatInbound(NatOptions options, NatTables tables, IFlowClock clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(clock);
        NatSetup setup = NatSetup.Resolve(options);
        _table = tables.GetOrCreate(options.Table, setup.Settings, setup.PortMappings);
        _options = options;
        _portMappings = setup.PortMappings;
        _enabled = options.Enabled;
        _outsidePort = setup.OutsidePort;
        _tables = tables;
        if (_enabled)
        {
            tables.Outside(options.Table, _outsidePort, _table, setup.OneToOne);
        }
        _clock = clock;
        _counters = _table.Counters;
        _oneToOne = setup.OneToOne;
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "packets with an internal destination now: route them")]
        Translated,
        [Port(typeof(Carries.Ipv4), "packets for the router itself, unchanged")]
        Local,
    }

    public enum Reason : byte
    {
        [DropReason("no valid IPv4 header at the L3 offset", Severity.Error)]
        Malformed,
        [DropReason("fragment whose first fragment has not come while as many as the NAT holds wait already", Severity.Warning)]
        FragmentsFull,
        [DropReason("fragment whose first fragment did not come within 30 s", Severity.Info)]
        FragmentExpired,
        [DropReason("UDP, TCP or ICMP header too short for its ports or identifier")]
        Truncated,
        [DropReason("remote not admitted by the mapping's filtering (address- or address-and-port-dependent)", Severity.Info)]
        Filtered,
        [DropReason("TCP segment to an external endpoint with no session, dropped silently (RFC 5382 REQ-4)", Severity.Info)]
        UnsolicitedTcp,
        [DropReason("an admitted connection found the session table full, or its host at its limit", Severity.Warning)]
        Limit,
    }

    /// <summary>The table this NAT keeps its state in (worker-owned).</summary>
    public NatTable Table => _table;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        if (!_enabled)
        {
            nexts.Slice(0, packets.Length).Fill(To(Output.Local));
            return;
        }
        long now = _clock.NowNanoseconds;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Translate(packets[i], now);
        }
    }

    private Next Translate(Packet packet, long now)
    {
        ref PacketMeta meta = ref packet.Meta;
        int l3 = meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip))
        {
            return Drop(Reason.Malformed);
        }
        ref Ipv4Header header = ref ip.Header;
        uint destination = header.Destination.Value.Host;
        byte protocol = header.Protocol;
        // From inside: not by this NAT's interface, nor by another WAN's (whose NAT it passed).
        bool hairpin = meta.InputPort != _outsidePort && _tables.OutsideOn(meta.InputPort) is null;
        if (_oneToOne.Length > 0 && OneToOne.InternalOf(_oneToOne, destination) is uint mapped)
        {
            return OneToOneIn(packet, ref header, ip.Payload, mapped, hairpin, now);
        }
        if (!_table.IsExternal(destination) || protocol is not (IpProtocol.Udp or IpProtocol.Tcp or IpProtocol.Icmp))
        {
            return To(Output.Local);
        }
        // Only the first fragment holds the L4 header; the others follow its translation.
        if (header.FragmentOffset > 0)
        {
            return LaterFragment(packet, ref header, hairpin, now);
        }
        var datagram = Datagram.Of(ref header);
        Span<byte> l4 = ip.Payload;
        if (protocol == IpProtocol.Icmp)
        {
            if (l4.Length < IcmpHeader.Size)
            {
                return Drop(Reason.Truncated);
            }
            if (IcmpType.IsError(l4[0]))
            {
                return TranslateError(ref header, l4);
            }
            // Echo requests to the external address are the router's to answer; only replies map.
            if (l4[0] != IcmpType.EchoReply)
            {
                return To(Output.Local);
            }
        }
        else if (!NatRewrite.HasHeader(protocol, l4))
        {
            return Drop(Reason.Truncated);
        }
        TcpFlags flags = protocol == IpProtocol.Tcp ? (TcpFlags)l4[13] : TcpFlags.None;
        if (hairpin && !HairpinSource(ref header, l4, flags, now))
        {
            return protocol == IpProtocol.Tcp ? Drop(Reason.UnsolicitedTcp) : Drop(Reason.Limit);
        }
        uint remote = header.Source.Value.Host;
        ushort port = NatRewrite.Port(protocol, l4, source: false);
        ushort remotePort = protocol == IpProtocol.Icmp ? (ushort)0 : NatRewrite.Port(protocol, l4, source: true);
        int session = _table.FindByOutside(destination, port, remote, remotePort, protocol);
        if (session >= 0)
        {
            ref NatSession s = ref _table.Session(session);
            NatRewrite.Destination(ref header, l4, s.InsideAddress, s.InsidePort);
            if (protocol == IpProtocol.Tcp)
            {
                _table.TrackTcp(session, flags, outbound: false, now);
            }
            else
            {
                _table.CountInbound(session);
            }
            return Delivered(hairpin, datagram, ref header, now);
        }
        if (protocol == IpProtocol.Icmp)
        {
            // A reply to no session of ours: the router's own ping, or late.
            return To(Output.Local);
        }
        int mapping = _table.FindMappingByOutside(destination, port, protocol);
        if (mapping < 0)
        {
            return protocol == IpProtocol.Tcp ? Drop(Reason.UnsolicitedTcp) : To(Output.Local);
        }
        if (!_table.Admits(mapping, remote, remotePort))
        {
            return Drop(Reason.Filtered);
        }
        ref NatMappingEntry m = ref _table.Mapping(mapping);
        if (protocol == IpProtocol.Tcp)
        {
            // A connection from outside starts with its SYN and gets a session of its own.
            if ((flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) != TcpFlags.Syn)
            {
                return Drop(Reason.UnsolicitedTcp);
            }
            if (_table.TryCreateOnMapping(mapping, remote, remotePort, now, out session) != NatCreateResult.Created)
            {
                return Drop(Reason.Limit);
            }
            _table.TrackTcp(session, flags, outbound: false, now);
        }
        // UDP admitted through a mapping needs no session: the reply makes one — on its own WAN.
        // With several, the reply must find this one's to leave by the WAN it came in by.
        if (protocol == IpProtocol.Udp && _tables.Outsides.Length > 1)
        {
            if (_table.TryCreateOnMapping(mapping, remote, remotePort, now, out session) != NatCreateResult.Created)
            {
                return Drop(Reason.Limit);
            }
            _table.CountInbound(session);
        }
        NatRewrite.Destination(ref header, l4, m.InsideAddress, m.InsidePort);
        return Delivered(hairpin, datagram, ref header, now);
    }

    /// <summary>
    /// A packet from inside to an external endpoint: its source becomes the sender's external
    /// endpoint, through the sender's own session with that endpoint (made here as
    /// <c>nat_out</c> would). False when the sender may not have one (TCP without SYN, a limit).
    /// </summary>
    private bool HairpinSource(ref Ipv4Header header, Span<byte> l4, TcpFlags flags, long now)
    {
        byte protocol = header.Protocol;
        uint source = header.Source.Value.Host;
        // A 1:1-mapped sender is seen at its own external address, ports kept, as outside.
        if (_oneToOne.Length > 0 && OneToOne.ExternalOf(_oneToOne, source) is uint external)
        {
            NatRewrite.SourceAddress(ref header, l4, external);
            return true;
        }
        // An ICMP query is hairpinned only as an echo request (to a 1:1 address: those to the
        // pool's are the router's own); a reply keeps its source and finds its session or not.
        if (protocol == IpProtocol.Icmp && l4[0] != IcmpType.EchoRequest)
        {
            return true;
        }
        ushort port = NatRewrite.Port(protocol, l4, source: true);
        uint target = header.Destination.Value.Host;
        ushort targetPort = protocol == IpProtocol.Icmp ? (ushort)0 : NatRewrite.Port(protocol, l4, source: false);
        int session = _table.FindByInside(source, port, target, targetPort, protocol);
        if (session < 0)
        {
            if (protocol == IpProtocol.Tcp && (flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) != TcpFlags.Syn)
            {
                return false;
            }
            if (_table.TryCreateSession(source, port, target, targetPort, protocol, now, out session) != NatCreateResult.Created)
            {
                return false;
            }
        }
        ref NatSession s = ref _table.Session(session);
        NatRewrite.Source(ref header, l4, s.OutsideAddress, s.OutsidePort);
        if (protocol == IpProtocol.Tcp)
        {
            _table.TrackTcp(session, flags, outbound: true, now);
        }
        else
        {
            _table.Refresh(session, now);
        }
        return true;
    }

    /// <summary>
    /// An ICMP error about a packet the NAT sent out translated (RFC 5508 4.1): the quoted packet
    /// left from an external endpoint, so it gets the internal one back as its source, the outer
    /// destination the internal address; both checksums patched. Errors quoting nothing of
    /// ours are the router's own (about its ping).
    /// </summary>
    private Next TranslateError(ref Ipv4Header outer, Span<byte> icmp)
    {
        if (!NatRewrite.TryQuoted(icmp, out Ipv4Packet quoted))
        {
            return To(Output.Local);
        }
        ref Ipv4Header inner = ref quoted.Header;
        byte protocol = inner.Protocol;
        Span<byte> l4 = quoted.Payload;
        uint outside = inner.Source.Value.Host;
        ushort outsidePort = NatRewrite.Port(protocol, l4, source: true);
        uint remote = inner.Destination.Value.Host;
        ushort remotePort = protocol == IpProtocol.Icmp ? (ushort)0 : NatRewrite.Port(protocol, l4, source: false);
        uint insideAddress;
        ushort insidePort;
        int session = _table.FindByOutside(outside, outsidePort, remote, remotePort, protocol);
        if (session >= 0)
        {
            insideAddress = _table.Session(session).InsideAddress;
            insidePort = _table.Session(session).InsidePort;
        }
        else if (OneToOne.InternalOf(_oneToOne, outside) is uint mapped)
        {
            insideAddress = mapped;
            insidePort = outsidePort;
        }
        else
        {
            return To(Output.Local);
        }
        NatRewrite.Source(ref inner, l4, insideAddress, insidePort);
        NatRewrite.IcmpChecksum(icmp);
        outer.RewriteDestination(new Ipv4Address(new NetU32(insideAddress)));
        _counters.Inbound++;
        return To(Output.Translated);
    }

    /// <summary>What identifies a datagram's fragments as they arrive, and whether this packet is a first fragment.</summary>
    private readonly record struct Datagram(uint Source, uint Destination, ushort Id, byte Protocol, bool IsFirstFragment)
    {
        /// <summary>The datagram of a packet at offset 0, read before it is translated.</summary>
        public static Datagram Of(ref Ipv4Header header) =>
            new(header.Source.Value.Host, header.Destination.Value.Host, header.Identification.Host, header.Protocol, header.MoreFragments);
    }

    private Next Delivered(bool hairpin, Datagram datagram, ref Ipv4Header header, long now)
    {
        if (datagram.IsFirstFragment)
        {
            FirstFragment(datagram, header.Source.Value.Host, header.Destination.Value.Host, hairpin, now);
        }
        _counters.Inbound++;
        _counters.Hairpinned += hairpin ? 1 : 0;
        return To(Output.Translated);
    }

    /// <summary>
    /// A packet to a 1:1 external address: the mapped host's address, ports kept, no session;
    /// ICMP errors translated inside too. From inside (hairpinned, RFC 4787 REQ-9, RFC 5508 REQ-7)
    /// the sender is first translated as it would leave: it reaches the host from its own external
    /// endpoint, and the answer comes back through the NAT.
    /// </summary>
    private Next OneToOneIn(Packet packet, ref Ipv4Header header, Span<byte> l4, uint inside, bool hairpin, long now)
    {
        bool first = header.FragmentOffset == 0;
        if (header.Protocol == IpProtocol.Icmp && first && l4.Length >= IcmpHeader.Size && IcmpType.IsError(l4[0]))
        {
            return TranslateError(ref header, l4);
        }
        if (!hairpin || header.Protocol is not (IpProtocol.Udp or IpProtocol.Tcp or IpProtocol.Icmp))
        {
            NatRewrite.DestinationAddress(ref header, l4, inside);
            _counters.Inbound++;
            return To(Output.Translated);
        }
        // The sender's external endpoint may be a session's, which only the first fragment's ports find.
        if (!first)
        {
            return LaterFragment(packet, ref header, hairpin, now);
        }
        if (!NatRewrite.HasHeader(header.Protocol, l4))
        {
            return Drop(Reason.Truncated);
        }
        var datagram = Datagram.Of(ref header);
        TcpFlags flags = header.Protocol == IpProtocol.Tcp ? (TcpFlags)l4[13] : TcpFlags.None;
        if (!HairpinSource(ref header, l4, flags, now))
        {
            return header.Protocol == IpProtocol.Tcp ? Drop(Reason.UnsolicitedTcp) : Drop(Reason.Limit);
        }
        NatRewrite.DestinationAddress(ref header, l4, inside);
        return Delivered(hairpin, datagram, ref header, now);
    }

    /// <summary>
    /// A first fragment came in translated: its datagram's later fragments take the same
    /// addresses (a hairpinned one's source too), the waiting ones now.
    /// </summary>
    private void FirstFragment(Datagram d, uint translatedSource, uint translatedDestination, bool hairpin, long now)
    {
        if (!_fragments.FirstTranslated(d.Source, d.Destination, d.Id, d.Protocol, translatedSource, translatedDestination, now, (Stage: this, Hairpin: hairpin), static (state, packet) =>
        {
            state.Stage._counters.Inbound++;
            state.Stage._counters.Hairpinned += state.Hairpin ? 1 : 0;
            state.Stage.Emit(packet, Output.Translated);
        }))
        {
            _counters.FragmentTableFull++;
        }
    }

    /// <summary>A fragment after the first: the addresses its first fragment got, or it waits for it.</summary>
    private Next LaterFragment(Packet packet, ref Ipv4Header header, bool hairpin, long now)
    {
        switch (_fragments.Follow(packet, ref header, now))
        {
            case NatFragments.Outcome.Translated:
                _counters.Inbound++;
                _counters.Hairpinned += hairpin ? 1 : 0;
                return To(Output.Translated);
            case NatFragments.Outcome.Held:
                return Next.Consumed;
            default:
                return Drop(Reason.FragmentsFull);
        }
    }

    public override void Tick(long nowNanoseconds)
    {
        if (_fragments.HeldCount > 0 && _fragments.ExpireHeld(nowNanoseconds) is int expired and > 0)
        {
            CountDrop(Reason.FragmentExpired, expired);
        }
    }

    public override void OnStop()
    {
        if (_fragments.FreeAll() is int freed and > 0)
        {
            CountDrop(Reason.FragmentExpired, freed);
        }
    }
}
