using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Tcp;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.Stages.Nat.Internal;
using Flow.Stages.Routing;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Nat;

/// <summary>
/// The outbound half of a NAT44 (RFC 3022, with RFC 4787, 5382 and 5508's behaviour): packets
/// routed out of the outside interface leave from an external address and port. The session of
/// a UDP flow, a TCP connection (from its SYN) or an ICMP echo identifier is made by its first
/// packet and refreshed by each later one; ICMP errors a host inside sends about a translated
/// packet are translated outer and inner. Fragments follow their first fragment's translation,
/// in or out of order (<see cref="Internal.NatFragments"/>: a later fragment waits for its first
/// up to 30 s, 64 at most; <c>fragments_full</c>, <c>fragment_expired</c>). Ends idle sessions from <see cref="Stage.Tick"/>.
/// </summary>
/// <remarks>
/// Input: routed packets (NextHop set by <c>ipv4_lookup</c>), after the TTL decrement and before
/// <c>ipv4_output</c> fragments them. A packet that does not leave by the outside interface, or
/// whose source is already an external address (the router's own), passes unchanged.
/// Output <c>out</c>: everything sent on, translated or not. Output <c>prohibited</c>: packets
/// that would need a session beyond a limit (table full, the host's share, no free port), with
/// an administratively prohibited request for <c>icmp_error</c>, which rate-limits them.
/// State: the <see cref="NatTable"/> it shares with <c>nat_in</c> (same worker).
/// </remarks>
[SingleShard("its NAT table, shared with nat_in, may be written by one worker only")]
[Stage("nat_out", "NAT44 outbound: packets leaving by the outside interface get an external source address and port; sessions made and refreshed here.",
    Accepts = typeof(Carries.Ipv4))]
public sealed unsafe partial class NatOutbound : Stage<NatOutbound.Output, NatOutbound.Reason>, IDisposable
{
    /// <summary>Packets whose table lines are prefetched before the first of them is translated.</summary>
    private const int PrefetchChunk = 16;

    /// <summary>Sessions a tick ends at most; the rest wait for the next tick.</summary>
    private const int ExpiryBudget = 4096;

    private readonly NatTable _table;
    private NatSetup _setup; // a reload may give it new port mappings (NatOutbound.Reconfigure.cs)
    private NatOptions _options;
    private readonly Ipv4RouteTable _routes;
    private readonly FibReader _reader;
    private readonly IFlowClock _clock;
    private readonly bool _enabled;
    private readonly InterfaceAddressBook? _book;
    private InterfaceAddressBook.Snapshot? _seen;
    private readonly ushort _outsidePort;

    private readonly NatCounters _counters;
    private readonly NatFragments _fragments = new();
    private readonly NatTables _tables;
    private readonly NatOutside? _outside;
    private uint _returnHop; // "via gateway on the outside port": the given gateway's, or the learned router's; 0: none
    private uint _learnedGateway; // the router a DHCP-addressed outside learned, when no gateway is given

    public NatOutbound(NatOptions options, NatTables tables, Ipv4RouteTable routes, IFlowClock clock, InterfaceAddressBook? addresses = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(clock);
        _setup = NatSetup.Resolve(options);
        _options = options;
        _table = tables.GetOrCreate(options.Table, _setup.Settings, _setup.PortMappings);
        _enabled = options.Enabled;
        // Only an outside interface addressed by DHCP changes its address while the NAT runs.
        _book = _setup.FollowsInterface is not null ? addresses : null;
        _outsidePort = _setup.OutsidePort;
        _routes = routes;
        _reader = routes.OpenReader();
        _clock = clock;
        _counters = _table.Counters;
        _tables = tables;
        if (_enabled)
        {
            _outside = tables.Outside(options.Table, _outsidePort, _table, _setup.OneToOne);
            _outside.Fragments = _fragments;
            if (_setup.Gateway != 0 && (_returnHop = routes.AcquireNextHop(_outsidePort, _setup.Gateway)) == 0)
            {
                throw new RouterConfigurationException([$"gateway: no next-hop id is free for {options.Gateway}"]);
            }
        }
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "packets sent on: translated when leaving by the outside interface")]
        Out,
        [Port(typeof(Carries.Ipv4), "packets refused by a NAT limit, with an administratively prohibited request in UserWord, for icmp_error")]
        Prohibited,
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
        [DropReason("TCP segment other than a SYN with no session (RFC 5382: sessions start with an outbound SYN)", Severity.Info)]
        NoSession,
        [DropReason("protocol the NAT does not translate (not UDP, TCP or ICMP echo and errors)", Severity.Info)]
        Unsupported,
        [DropReason("ICMP error about a packet of no session or mapping", Severity.Info)]
        UnmatchedError,
        [DropReason("packet of this NAT's conversation routed out by another NAT's interface, and no gateway (given, or learned with the outside's lease) to send it back by this one", Severity.Warning)]
        NoReturnRoute,
    }

    /// <summary>The table this NAT keeps its state in (worker-owned).</summary>
    public NatTable Table => _table;

    /// <summary>Whether the NAT translates (router.json's nat.enabled).</summary>
    public bool Enabled => _enabled;

    public override unsafe void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        if (!_enabled)
        {
            nexts.Slice(0, packets.Length).Fill(To(Output.Out));
            return;
        }
        long now = _clock.NowNanoseconds;
        NextHop* hops = _routes.NextHops.Entries;
        uint capacity = (uint)_routes.NextHops.Capacity;
        _reader.Enter();
        NatOutside[] outsides = _tables.Outsides;
        if (outsides.Length > 1)
        {
            ProcessAmong(outsides, packets, nexts, hops, capacity, now);
            _reader.Exit();
            return;
        }
        FlowKey* keys = stackalloc FlowKey[PrefetchChunk];
        for (int start = 0; start < packets.Length; start += PrefetchChunk)
        {
            int end = Math.Min(packets.Length, start + PrefetchChunk);
            // Two passes of prefetches (bucket, then what it chains to) before the chunk is translated.
            for (int i = start; i < end; i++)
            {
                ref FlowKey key = ref keys[i - start];
                key.LeavesOutside = LeavesOutside(packets[i].Meta.NextHop, hops, capacity);
                key.Valid = key.LeavesOutside && TryReadKey(packets[i], ref key);
                if (key.Valid)
                {
                    key.Bucket = _table.PrefetchOutboundFirst(key.Source, key.Port, key.Remote, key.RemotePort, key.Protocol);
                }
            }
            for (int i = start; i < end; i++)
            {
                ref FlowKey key = ref keys[i - start];
                if (key.Valid)
                {
                    _table.PrefetchOutboundSecond(key.Bucket, key.Source, key.Port, key.Remote, key.RemotePort, key.Protocol);
                }
            }
            for (int i = start; i < end; i++)
            {
                nexts[i] = keys[i - start].LeavesOutside ? Translate(packets[i], now) : To(Output.Out);
            }
        }
        _reader.Exit();
    }

    /// <summary>
    /// Whether the packet's route leaves by the outside interface. A next hop id out of the table
    /// (a user's hook stage wrote NextHop) is not outside: ipv4_output drops it as no_next_hop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool LeavesOutside(uint id, NextHop* hops, uint capacity) => id < capacity && hops[id].Port == _outsidePort;

    /// <summary>A packet's route (out by the outside interface or not) and session key, read unchecked for prefetching (Translate checks the headers).</summary>
    private struct FlowKey
    {
        public uint Source;
        public uint Remote;
        public uint Bucket;
        public ushort Port;
        public ushort RemotePort;
        public byte Protocol;
        public bool LeavesOutside;
        public bool Valid;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadKey(Packet packet, ref FlowKey key)
    {
        ref PacketMeta meta = ref packet.Meta;
        int l3 = meta.L3Offset;
        if (l3 + Ipv4Header.Size + 8 > meta.Length)
        {
            return false;
        }
        byte* ip = packet.DataPointer + l3;
        byte protocol = ip[9];
        byte* l4 = ip + (ip[0] & 0xF) * 4;
        if (protocol is not (IpProtocol.Udp or IpProtocol.Tcp or IpProtocol.Icmp) || l4 + 8 > packet.DataPointer + meta.Length)
        {
            return false;
        }
        bool icmp = protocol == IpProtocol.Icmp;
        key.Source = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(ip + 12, 4));
        key.Remote = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(ip + 16, 4));
        key.Port = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(l4 + (icmp ? 4 : 0), 2));
        key.RemotePort = icmp ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(l4 + 2, 2));
        key.Protocol = protocol;
        return true;
    }

    public override void Tick(long nowNanoseconds)
    {
        if (!_enabled)
        {
            return;
        }
        FollowLearnedAddress();
        _table.Expire(nowNanoseconds, ExpiryBudget);
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

    /// <summary>
    /// Takes up the outside interface's address when its DHCP client binds, changes or loses it
    /// (the table ends what used the old one). nat_in reads the table's addresses, so it follows too.
    /// </summary>
    private void FollowLearnedAddress()
    {
        if (_book is null)
        {
            return;
        }
        InterfaceAddressBook.Snapshot now = _book.Current;
        if (ReferenceEquals(now, _seen))
        {
            return;
        }
        _seen = now;
        bool bound = now.Learned.TryGetValue(_setup.FollowsInterface!, out InterfaceAddressBook.LearnedAddress? address);
        uint[] learned = bound ? [address!.Address] : [];
        if (!learned.AsSpan().SequenceEqual(_table.Addresses))
        {
            _table.ReplaceAddresses(learned);
        }
        if (_setup.Gateway == 0)
        {
            FollowLearnedGateway(bound ? address!.Router : 0);
        }
    }

    /// <summary>
    /// Without a given gateway, the router the outside interface's lease names is where this NAT's
    /// conversations go back by when routing sends them elsewhere (dual WAN). Taking its next hop
    /// takes the route table's writer lock: once a lease change, never per packet.
    /// </summary>
    private void FollowLearnedGateway(uint router)
    {
        if (router == _learnedGateway)
        {
            return;
        }
        if (_returnHop != 0)
        {
            _routes.ReleaseNextHop(_returnHop);
        }
        _learnedGateway = router;
        _returnHop = router != 0 ? _routes.AcquireNextHop(_outsidePort, router) : 0;
    }

    /// <summary>The gateway steered conversations leave by: the given one, the one the outside interface's lease named, or null.</summary>
    public string? Gateway => _setup.Gateway != 0 ? _options.Gateway : _learnedGateway != 0 ? RouteConfiguration.Text(_learnedGateway) : null;

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
        uint source = header.Source.Value.Host;
        byte protocol = header.Protocol;
        Span<byte> l4 = ip.Payload;
        if (_setup.OneToOne.Length > 0 && OneToOne.ExternalOf(_setup.OneToOne, source) is uint external)
        {
            return OneToOneOut(ref header, l4, external);
        }
        if (_table.IsExternal(source))
        {
            // The router's own packets; an ICMP error among them may quote a packet translated inbound.
            return protocol == IpProtocol.Icmp && !header.IsFragment && l4.Length >= IcmpHeader.Size && IcmpType.IsError(l4[0])
                ? TranslateError(ref header, l4, translateOuter: false)
                : To(Output.Out);
        }
        if (protocol is not (IpProtocol.Udp or IpProtocol.Tcp or IpProtocol.Icmp))
        {
            return Drop(Reason.Unsupported);
        }
        // Only the first fragment holds the L4 header; the others follow its translation.
        if (header.FragmentOffset > 0)
        {
            return LaterFragment(packet, ref header, now);
        }
        if (protocol == IpProtocol.Icmp)
        {
            if (l4.Length < IcmpHeader.Size)
            {
                return Drop(Reason.Truncated);
            }
            byte type = l4[0];
            if (IcmpType.IsError(type))
            {
                return TranslateError(ref header, l4, translateOuter: true);
            }
            if (type != IcmpType.EchoRequest)
            {
                return Drop(Reason.Unsupported);
            }
        }
        if (protocol != IpProtocol.Icmp && !NatRewrite.HasHeader(protocol, l4))
        {
            return Drop(Reason.Truncated);
        }
        uint remote = header.Destination.Value.Host;
        ushort port = NatRewrite.Port(protocol, l4, source: true);
        ushort remotePort = protocol == IpProtocol.Icmp ? (ushort)0 : NatRewrite.Port(protocol, l4, source: false);
        int session = _table.FindByInside(source, port, remote, remotePort, protocol);
        TcpFlags flags = protocol == IpProtocol.Tcp ? (TcpFlags)l4[13] : TcpFlags.None;
        if (session < 0)
        {
            if (protocol == IpProtocol.Tcp && (flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) != TcpFlags.Syn)
            {
                return Drop(Reason.NoSession);
            }
            NatCreateResult result = Create(source, port, remote, remotePort, protocol, now, out session);
            if (result != NatCreateResult.Created)
            {
                return Refuse(ref meta, result);
            }
        }
        ref NatSession s = ref _table.Session(session);
        ushort id = header.Identification.Host;
        NatRewrite.Source(ref header, l4, s.OutsideAddress, s.OutsidePort);
        if (protocol == IpProtocol.Tcp)
        {
            _table.TrackTcp(session, flags, outbound: true, now);
        }
        else
        {
            _table.Refresh(session, now);
        }
        _counters.Outbound++;
        if (header.MoreFragments)
        {
            FirstFragment(source, remote, id, protocol, s.OutsideAddress, now);
        }
        return To(Output.Out);
    }

    /// <summary>A packet of a 1:1-mapped host: its external address, ports kept, no session; its ICMP errors translated inside too.</summary>
    private Next OneToOneOut(ref Ipv4Header header, Span<byte> l4, uint external)
    {
        if (header.Protocol == IpProtocol.Icmp && header.FragmentOffset == 0 && l4.Length >= IcmpHeader.Size && IcmpType.IsError(l4[0]))
        {
            return TranslateError(ref header, l4, translateOuter: true);
        }
        NatRewrite.SourceAddress(ref header, l4, external);
        _counters.Outbound++;
        return To(Output.Out);
    }

    /// <summary>A first fragment went out translated: its datagram's later fragments take the same source, the waiting ones now.</summary>
    private void FirstFragment(uint source, uint remote, ushort id, byte protocol, uint translated, long now)
    {
        if (!_fragments.FirstTranslated(source, remote, id, protocol, translated, remote, now, this, static (stage, packet) =>
        {
            stage._counters.Outbound++;
            stage.Emit(packet, Output.Out);
        }))
        {
            _counters.FragmentTableFull++;
        }
    }

    /// <summary>A fragment after the first: the address its first fragment got, or it waits for it.</summary>
    private Next LaterFragment(Packet packet, ref Ipv4Header header, long now)
    {
        switch (_fragments.Follow(packet, ref header, now))
        {
            case NatFragments.Outcome.Translated:
                _counters.Outbound++;
                return To(Output.Out);
            case NatFragments.Outcome.Held:
                return Next.Consumed;
            default:
                return Drop(Reason.FragmentsFull);
        }
    }

    /// <summary>Makes a session; a full table first ends what has expired and tries once more.</summary>
    private NatCreateResult Create(uint source, ushort port, uint remote, ushort remotePort, byte protocol, long now, out int session)
    {
        NatCreateResult result = _table.TryCreateSession(source, port, remote, remotePort, protocol, now, out session);
        if (result == NatCreateResult.TableFull && _table.Expire(now, 64) > 0)
        {
            result = _table.TryCreateSession(source, port, remote, remotePort, protocol, now, out session);
        }
        return result;
    }

    private Next Refuse(ref PacketMeta meta, NatCreateResult result)
    {
        switch (result)
        {
            case NatCreateResult.TableFull:
                _counters.TableFull++;
                break;
            case NatCreateResult.HostLimit:
                _counters.HostLimit++;
                break;
            case NatCreateResult.NoAddress:
                _counters.NoAddress++;
                break;
            default:
                _counters.PortsExhausted++;
                break;
        }
        meta.UserWord = IcmpErrorRequest.AdminProhibited;
        return To(Output.Prohibited);
    }

    /// <summary>
    /// An ICMP error leaving about a packet that came in translated (RFC 5508 4.2): the quoted
    /// packet went remote → external endpoint and was delivered to the internal one, so its
    /// destination goes back to the external endpoint, and the outer source (a host inside,
    /// unless the router sent it) to the external address. Creates and refreshes nothing.
    /// </summary>
    private Next TranslateError(ref Ipv4Header outer, Span<byte> icmp, bool translateOuter)
    {
        if (!NatRewrite.TryQuoted(icmp, out Ipv4Packet quoted))
        {
            return translateOuter ? Drop(Reason.UnmatchedError) : To(Output.Out);
        }
        ref Ipv4Header inner = ref quoted.Header;
        byte protocol = inner.Protocol;
        Span<byte> l4 = quoted.Payload;
        uint inside = inner.Destination.Value.Host;
        uint remote = inner.Source.Value.Host;
        // The quoted packet is an inbound one: its destination is the internal endpoint.
        ushort insidePort = NatRewrite.Port(protocol, l4, source: false);
        ushort remotePort = protocol == IpProtocol.Icmp ? (ushort)0 : NatRewrite.Port(protocol, l4, source: true);
        uint outsideAddress;
        ushort outsidePort;
        int session = _table.FindByInside(inside, insidePort, remote, remotePort, protocol);
        if (session >= 0)
        {
            outsideAddress = _table.Session(session).OutsideAddress;
            outsidePort = _table.Session(session).OutsidePort;
        }
        else if (_table.FindMappingByInside(inside, insidePort, protocol, remote, remotePort) is int mapping && mapping >= 0)
        {
            outsideAddress = _table.Mapping(mapping).OutsideAddress;
            outsidePort = _table.Mapping(mapping).OutsidePort;
        }
        else if (OneToOne.ExternalOf(_setup.OneToOne, inside) is uint external)
        {
            outsideAddress = external;
            outsidePort = insidePort;
        }
        else
        {
            return translateOuter ? Drop(Reason.UnmatchedError) : To(Output.Out);
        }
        NatRewrite.Destination(ref inner, l4, outsideAddress, outsidePort);
        NatRewrite.IcmpChecksum(icmp);
        // From the host itself or from a router inside on the way: either address is private.
        if (translateOuter)
        {
            outer.RewriteSource(new Ipv4Address(new Flow.Protocols.NetU32(outsideAddress)));
        }
        _counters.Outbound++;
        return To(Output.Out);
    }

    public void Dispose()
    {
        _reader.Dispose();
        if (_returnHop != 0)
        {
            _routes.ReleaseNextHop(_returnHop);
        }
    }
}
