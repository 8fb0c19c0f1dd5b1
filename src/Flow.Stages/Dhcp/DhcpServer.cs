using System.Buffers.Binary;
using Flow.Protocols;
using Flow.Protocols.Dhcp;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;
using Flow.Stages.Dhcp.Internal;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Dhcp;

/// <summary>
/// The router's DHCP server for one interface (RFC 2131, options of RFC 2132): hands out the
/// addresses of a range on the interface's network, and of a pool per subnet behind a DHCP relay
/// agent, with the subnet mask, router, DNS servers, broadcast address, lease time, T1 and T2, and
/// keeps the leases in a file across restarts when asked to.
/// </summary>
/// <remarks>
/// Input: local UDP (<c>ipv4_local:udp</c>), L3 and L4 offsets set by <c>ipv4_input</c>.
/// Output <c>link</c>: replies as complete Ethernet frames for the served interface's tx —
/// broadcast (ff:ff:ff:ff:ff:ff to 255.255.255.255) when the client set the broadcast flag or for
/// a DHCPNAK, else straight to the client's hardware address at ciaddr (renewing) or yiaddr (RFC
/// 2131 4.1: the server addresses the frame to chaddr, no ARP, since the client has no address yet).
/// Output <c>relay</c>: replies that are routed, IPv4 with room for the Ethernet header (send them
/// to <c>local_lookup</c>): to a relay agent (giaddr set) at giaddr port 67, and to a client behind
/// one that renews or informs by unicast (no giaddr, ciaddr off the served network) at ciaddr port
/// 68 (RFC 2131 4.1).
/// Output <c>other</c>: UDP not to port 67, and requests from other interfaces, unchanged (the
/// DHCP client's replies on port 68 go on to <c>dhcp_client</c>).
/// Every request gets at most one reply, built in place of the request (RFC 2131 4.3):
/// DISCOVER → OFFER of the client's current binding, its previous one, the address it asked for,
/// or a free one, in that order (4.3.1) — an address the client does not hold now after an ARP
/// probe of <see cref="DhcpServerOptions.ProbeTime"/> found no other host on it (the DISCOVER is
/// held meanwhile; see DhcpServer.Probe.cs); REQUEST in SELECTING (server identifier present) → ACK
/// when the identifier is ours and the address the one offered, else silence and the offer freed
/// (the client chose another server); INIT-REBOOT (requested address, no identifier, no ciaddr) →
/// ACK for the client's own binding, NAK for an address off the interface's network or bound to
/// another, silence when the server has no record (4.3.2); RENEWING/REBINDING (ciaddr) → ACK with
/// a new lease, NAK when the address is another client's; DECLINE → the address is not offered for
/// <see cref="DhcpServerOptions.DeclineTime"/>; RELEASE → free; INFORM → ACK with the options and
/// no lease time (4.3.5). Leases are keyed by the client identifier (option 61), else chaddr (4.2).
/// Pools (RFC 2131 4.3.1: "from the subnet of giaddr"): a request relayed by an agent (giaddr set)
/// is served from the pool whose network holds giaddr — the served interface's own, or one of
/// <see cref="DhcpServerOptions.Subnets"/> — and dropped as <c>other_subnet</c> when none does; a
/// request unicast to the server straight from a client (renewing, releasing, informing) from
/// ciaddr's pool when a subnet holds it; anything else from the served network's. Everything above is per pool: the address chosen, the leases, the INIT-REBOOT NAK for
/// an address off the client's network (the pool's), the mask, router (a subnet's own, else the
/// relay agent's address) and broadcast handed out. Only the served network's clients are probed.
/// Drops: <c>disabled</c>, <c>malformed</c>, <c>not_request</c>, <c>bad_hardware</c>, <c>other_subnet</c>,
/// <c>no_message_type</c>, <c>bad_message_type</c>, <c>pool_exhausted</c> (also counted per pool), <c>other_server</c>
/// (REQUEST for another server), <c>no_binding</c> (nothing to answer: unknown client, address
/// outside the range), <c>no_room</c>. A DECLINE or RELEASE acted on is consumed (it has no answer;
/// <c>dhcp show</c> counts it).
/// Timers (<see cref="Tick"/>): offers, leases and declines end; the lease file (every pool's) is
/// written after a change (off the worker). Lease state belongs to the worker; <c>dhcp leases</c> and
/// <c>dhcp show</c> read it through the control mailbox.
/// </remarks>
[SingleShard("its leases: a copy per shard would hand out the same address twice")]
[Stage("dhcp_server", "Router DHCP server (RFC 2131) for one interface: leases from a range and relayed subnets' pools, options, delivery rules, lease file.",
    Accepts = typeof(Carries.Ipv4))]
public sealed partial class DhcpServer : Stage<DhcpServer.Output, DhcpServer.Reason>, IControlledStage, IDisposable
{
    /// <summary>Largest DHCP message the server writes (RFC 2131 2: a client accepts 576-byte IP datagrams).</summary>
    private const int MaxReply = 576 - 28;

    private readonly DhcpServerOptions _options;
    private readonly IFlowClock _clock;
    private readonly InterfaceAddressBook? _book;
    // The served interface's own network first (its clients, and relays on it), then one pool per
    // relayed subnet; none when the server is disabled.
    private readonly DhcpPool[] _pools;
    private readonly DhcpLeaseFile? _file;
    private readonly ushort _port;
    private readonly MacAddress _mac;
    private readonly uint _server;
    private readonly long _offerNanoseconds;
    private readonly long _declineNanoseconds;
    private readonly Ipv4Address[] _configuredDns;
    // DNS servers handed out: the configured ones, else those the router's DHCP client learned.
    private Ipv4Address[] _dns;
    private InterfaceAddressBook.Snapshot? _bookSeen;

    // Worker-owned counters (and each pool's); read through the control mailbox.
    private readonly long[] _received = new long[9];

    public DhcpServer(DhcpServerOptions options, IFlowClock clock, InterfaceAddressBook? addresses = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _options = options;
        _clock = clock;
        DhcpServerConfiguration configuration = DhcpServerConfiguration.Build(options);
        if (configuration.Errors.Count > 0)
        {
            throw new RouterConfigurationException([.. configuration.Errors.Select(e => e.Message)]);
        }
        RouterInterfaceTable interfaces = configuration.Interfaces!;
        _port = interfaces.Interfaces[configuration.Index].Id ?? (ushort)configuration.Index;
        _mac = interfaces.MacOf(configuration.Index);
        _server = configuration.Server;
        _configuredDns = configuration.Dns;
        _dns = _configuredDns;
        _book = addresses;
        _pools = [.. configuration.Pools.Select(static p => new DhcpPool(p))];
        _offerNanoseconds = options.OfferTime.Ticks * 100;
        _declineNanoseconds = options.DeclineTime.Ticks * 100;
        // Probing needs arp's reports, which come through the book.
        if (options.Enabled && options.ProbeTime > TimeSpan.Zero && addresses is not null)
        {
            _probeNanoseconds = options.ProbeTime.Ticks * 100;
            _probePool = PacketPool.Create(MaxHeldDiscovers, 128, 0, name: $"dhcp_server.{options.Interface}.probes");
        }
        if (options.LeaseFile is { Length: > 0 } path)
        {
            _file = new DhcpLeaseFile(path);
            Restore(_file.Read());
        }
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "replies as complete frames for the served interface's tx (broadcast, or to the client's MAC), and ARP probes of addresses before they are offered")]
        Link,
        [Port(typeof(Carries.Ipv4), "replies to a relay agent (giaddr), or to a client behind one at ciaddr: route them")]
        Relay,
        [Port(typeof(Carries.Ipv4), "UDP not for the server (port 68: dhcp_client), and requests from other interfaces")]
        Other,
    }

    public enum Reason : byte
    {
        [DropReason("the server is disabled (enabled: false)", Severity.Info)]
        Disabled,
        [DropReason("not a DHCP message: too short, bad magic cookie or options", Severity.Warning)]
        Malformed,
        [DropReason("BOOTREPLY sent to the server port", Severity.Warning)]
        NotRequest,
        [DropReason("hardware type not Ethernet or length not 6", Severity.Warning)]
        BadHardware,
        [DropReason("no DHCP message type option (plain BOOTP is not served)", Severity.Info)]
        NoMessageType,
        [DropReason("message type a client does not send", Severity.Warning)]
        BadMessageType,
        [DropReason("no free address left in the request's pool", Severity.Warning)]
        PoolExhausted,
        [DropReason("REQUEST for another server: the client took another offer", Severity.Info)]
        OtherServer,
        [DropReason("nothing to answer: no record of the client or an address not ours (RFC 2131 4.3.2 silence)", Severity.Info)]
        NoBinding,
        [DropReason("the frame has no room for the reply", Severity.Error)]
        NoRoom,
        [DropReason("relayed from a subnet (giaddr) the server has no pool for", Severity.Info)]
        OtherSubnet,
        [DropReason("a DISCOVER again while its address is probed: the offer follows the probe", Severity.Info)]
        Probing,
        [DropReason("every probe slot is in use: the client's next DISCOVER is answered", Severity.Warning)]
        ProbesBusy,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long now = _clock.NowNanoseconds;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Serve(packets[i], now);
        }
    }

    private unsafe Next Serve(Packet packet, long now)
    {
        ref PacketMeta meta = ref packet.Meta;
        Span<byte> data = packet.Data;
        int l3 = meta.L3Offset;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip) || ip.Header.Protocol != IpProtocol.Udp
            || !UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp) || udp.Header.DestinationPort.Host != DhcpFrame.ServerPort
            || meta.InputPort != _port)
        {
            return To(Output.Other);
        }
        if (!_options.Enabled)
        {
            return Drop(Reason.Disabled);
        }
        if (!DhcpMessage.TryParse(udp.Payload, out DhcpMessage request))
        {
            return Drop(Reason.Malformed);
        }
        ref DhcpHeader header = ref request.Header;
        if (header.Operation != DhcpHeader.BootRequest)
        {
            return Drop(Reason.NotRequest);
        }
        if (header.HardwareType != 1 || header.HardwareLength != 6)
        {
            return Drop(Reason.BadHardware);
        }
        if (!request.TryGetMessageType(out DhcpMessageType type))
        {
            return Drop(Reason.NoMessageType);
        }
        if ((byte)type < _received.Length)
        {
            _received[(byte)type]++;
        }
        uint giaddr = DhcpFrame.Host(header.GatewayAddress);
        DhcpPool? pool = PoolFor(giaddr, DhcpFrame.Host(header.ClientAddress), toServer: DhcpFrame.Host(ip.Header.Destination) == _server);
        if (pool is null)
        {
            // RFC 2131 4.3.1: a relayed client gets an address of the relay's (giaddr's) subnet,
            // and no pool is on it: any address given would be wrong there.
            return Drop(Reason.OtherSubnet);
        }
        if (giaddr != 0)
        {
            pool.Relay = giaddr;
        }
        Span<byte> reply = stackalloc byte[MaxReply];
        int length;
        bool held = false;
        Next next = type switch
        {
            DhcpMessageType.Discover => Discover(pool, packet, request, reply, now, attempt: 0, out length, out held),
            DhcpMessageType.Request => Request(pool, request, reply, now, out length),
            DhcpMessageType.Decline => Decline(pool, request, now, out length),
            DhcpMessageType.Release => Release(pool, request, now, out length),
            DhcpMessageType.Inform => Inform(pool, request, reply, out length),
            _ => Refuse(Reason.BadMessageType, out length),
        };
        if (length != 0)
        {
            return Deliver(packet, request, reply.Slice(0, length));
        }
        if (held)
        {
            // The packet waits in _held for its probe; the offer leaves from Tick.
            return Next.Consumed;
        }
        if (next.Equals(Next.Consumed))
        {
            PacketPools.Free(packet);
        }
        return next;
    }

    /// <summary>
    /// The pool a request is served from: giaddr's for a relayed one (null: none is on the relay's
    /// subnet). One straight from a client and unicast to the server (<paramref name="toServer"/>)
    /// may have been routed — a client behind a relay renews, releases and informs that way, not
    /// through the relay (RFC 2131 4.4.5, 4.4.6) — so ciaddr's pool serves it. A broadcast came
    /// on the served link itself: its pool, even for a ciaddr of another (a client that moved
    /// there is NAKed for the wrong network, 4.3.2).
    /// </summary>
    private DhcpPool? PoolFor(uint giaddr, uint ciaddr, bool toServer)
    {
        if (giaddr != 0)
        {
            return PoolOf(giaddr);
        }
        return ciaddr != 0 && toServer ? PoolOf(ciaddr) ?? _pools[0] : _pools[0];
    }

    /// <summary>The pool whose network holds <paramref name="address"/>, or null (networks do not overlap: at most one does).</summary>
    private DhcpPool? PoolOf(uint address)
    {
        foreach (DhcpPool pool in _pools)
        {
            if (pool.Contains(address))
            {
                return pool;
            }
        }
        return null;
    }

    private Next Discover(DhcpPool pool, Packet packet, DhcpMessage request, Span<byte> reply, long now, int attempt, out int length, out bool held)
    {
        length = 0;
        held = false;
        ReadOnlySpan<byte> client = ClientKey(request);
        uint requested = request.TryGetOption(DhcpOptionCode.RequestedIpAddress, out ReadOnlySpan<byte> r) && r.Length == 4 ? DhcpFrame.Host(r) : 0;
        uint giaddr = DhcpFrame.Host(request.Header.GatewayAddress);
        DhcpLeaseTable leases = pool.Leases;
        int index = leases.Choose(client, requested, relay: giaddr);
        if (index < 0)
        {
            pool.Exhausted++;
            return Drop(Reason.PoolExhausted);
        }
        if (_held.Count != 0 && IsHeld(pool, index))
        {
            return Drop(Reason.Probing);
        }
        ref LeaseSlot slot = ref leases[index];
        // An address the client does not hold now is probed first (see DhcpServer.Probe.cs), when
        // the client is on the served link: ARP reaches no further.
        if (_probePool is not null && slot.State == DhcpLeaseState.Free && attempt < MaxProbesPerDiscover && giaddr == 0 && pool == _pools[0])
        {
            if (_held.Count == MaxHeldDiscovers)
            {
                return Drop(Reason.ProbesBusy);
            }
            // Held for the client while it is probed, so that no other DISCOVER gets it meanwhile.
            leases.Assign(index, DhcpLeaseState.Offered, client, request.Header.ClientMac, HostName(request), now + _probeNanoseconds + _offerNanoseconds);
            if (Hold(packet, request, pool, index, now, attempt))
            {
                held = true;
                return Next.Consumed;
            }
        }
        // A bound client asking again keeps its lease; anything else is held as an offer (RFC 2131 3.1 step 2).
        if (slot.State != DhcpLeaseState.Bound)
        {
            leases.Assign(index, DhcpLeaseState.Offered, client, request.Header.ClientMac, HostName(request), now + _offerNanoseconds);
        }
        return Offer(pool, request, reply, index, out length);
    }

    /// <summary>The OFFER of <paramref name="pool"/>'s slot <paramref name="index"/>, with every option (table 3).</summary>
    private Next Offer(DhcpPool pool, DhcpMessage request, Span<byte> reply, int index, out int length)
    {
        DhcpWriter w = DhcpBuilder.StartOffer(reply, request, Address(pool.Leases.AddressOf(index)), Address(_server), pool.LeaseSeconds);
        AddOptions(pool, ref w, request, withLease: true);
        pool.Offers++;
        return Finish(ref w, out length);
    }

    private Next Request(DhcpPool pool, DhcpMessage request, Span<byte> reply, long now, out int length)
    {
        length = 0;
        DhcpLeaseTable leases = pool.Leases;
        ReadOnlySpan<byte> client = ClientKey(request);
        uint ciaddr = DhcpFrame.Host(request.Header.ClientAddress);
        bool hasServer = request.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> s) && s.Length == 4;
        uint requested = request.TryGetOption(DhcpOptionCode.RequestedIpAddress, out ReadOnlySpan<byte> r) && r.Length == 4 ? DhcpFrame.Host(r) : 0;
        int found = leases.FindClient(client, out bool current);
        if (hasServer)
        {
            // SELECTING (RFC 2131 4.3.2): the client names the server whose offer it took.
            if (DhcpFrame.Host(s) != _server)
            {
                if (found >= 0 && current && leases[found].State == DhcpLeaseState.Offered)
                {
                    leases.Free(found, now);
                }
                return Drop(Reason.OtherServer);
            }
            if (found >= 0 && current && leases.AddressOf(found) == requested && ciaddr == 0)
            {
                return Ack(pool, request, reply, found, client, now, out length);
            }
            return Nak(pool, request, reply, out length);
        }
        if (ciaddr == 0)
        {
            // INIT-REBOOT: the client checks an address it remembers. Its network is the pool's:
            // the served link's, or the relay's (giaddr's) when relayed.
            if (requested == 0)
            {
                return Drop(Reason.NoBinding);
            }
            if (!pool.Contains(requested))
            {
                return Nak(pool, request, reply, out length);
            }
            if (found >= 0 && leases.AddressOf(found) == requested)
            {
                // Its current binding, or its previous one if nobody took the address since.
                return Ack(pool, request, reply, found, client, now, out length);
            }
            int asked = leases.IndexOf(requested);
            if (asked >= 0 && leases[asked].State != DhcpLeaseState.Free)
            {
                return Nak(pool, request, reply, out length);
            }
            return Drop(Reason.NoBinding);
        }
        // RENEWING (unicast) or REBINDING (broadcast): ciaddr is the client's address.
        if (found >= 0 && leases.AddressOf(found) == ciaddr)
        {
            return Ack(pool, request, reply, found, client, now, out length);
        }
        int index = leases.IndexOf(ciaddr);
        if (index < 0)
        {
            // Off the pool's network: wrong (NAK, 4.3.2 "incorrect network"); on it but outside the range: not ours to judge.
            return !pool.Contains(ciaddr) ? Nak(pool, request, reply, out length) : Drop(Reason.NoBinding);
        }
        if (leases[index].State is DhcpLeaseState.Free)
        {
            // A lease this server no longer knows (lost its file): the address is free, so the client keeps it.
            return Ack(pool, request, reply, index, client, now, out length);
        }
        return Nak(pool, request, reply, out length);
    }

    private Next Ack(DhcpPool pool, DhcpMessage request, Span<byte> reply, int index, ReadOnlySpan<byte> client, long now, out int length)
    {
        pool.Leases.Assign(index, DhcpLeaseState.Bound, client, request.Header.ClientMac, HostName(request), now + pool.LeaseNanoseconds);
        DhcpWriter w = DhcpBuilder.StartAck(reply, request, Address(pool.Leases.AddressOf(index)), Address(_server), pool.LeaseSeconds);
        AddOptions(pool, ref w, request, withLease: true);
        pool.Acks++;
        return Finish(ref w, out length);
    }

    private Next Nak(DhcpPool pool, DhcpMessage request, Span<byte> reply, out int length)
    {
        DhcpWriter w = DhcpBuilder.StartNak(reply, request, Address(_server));
        EchoClientIdentifier(ref w, request);
        if (!w.Overflowed && !w.Header.GatewayAddress.IsUnspecified)
        {
            // RFC 2131 4.3.2: a NAK through a relay asks it to broadcast.
            w.Header.Flags = new NetU16(DhcpHeader.BroadcastFlag);
        }
        pool.Naks++;
        return Finish(ref w, out length);
    }

    private Next Decline(DhcpPool pool, DhcpMessage request, long now, out int length)
    {
        length = 0;
        // RFC 2131 4.3.3: only a decline of our own offer or lease counts.
        if (request.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> s) && s.Length == 4 && DhcpFrame.Host(s) != _server)
        {
            return Drop(Reason.OtherServer);
        }
        if (!request.TryGetOption(DhcpOptionCode.RequestedIpAddress, out ReadOnlySpan<byte> r) || r.Length != 4)
        {
            return Drop(Reason.Malformed);
        }
        int index = pool.Leases.IndexOf(DhcpFrame.Host(r));
        int found = pool.Leases.FindClient(ClientKey(request), out bool current);
        if (index < 0 || found != index || !current)
        {
            return Drop(Reason.NoBinding);
        }
        pool.Leases.Decline(index, now + _declineNanoseconds);
        return Next.Consumed;
    }

    private Next Release(DhcpPool pool, DhcpMessage request, long now, out int length)
    {
        length = 0;
        if (request.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> s) && s.Length == 4 && DhcpFrame.Host(s) != _server)
        {
            return Drop(Reason.OtherServer);
        }
        int found = pool.Leases.FindClient(ClientKey(request), out bool current);
        if (found < 0 || !current || pool.Leases.AddressOf(found) != DhcpFrame.Host(request.Header.ClientAddress))
        {
            return Drop(Reason.NoBinding);
        }
        // RFC 2131 4.3.4: freed, the client remembered for its next DISCOVER.
        pool.Leases.Free(found, now);
        return Next.Consumed;
    }

    private Next Inform(DhcpPool pool, DhcpMessage request, Span<byte> reply, out int length)
    {
        length = 0;
        if (request.Header.ClientAddress.IsUnspecified)
        {
            return Drop(Reason.Malformed);
        }
        DhcpWriter w = DhcpBuilder.StartInformAck(reply, request, Address(_server));
        AddOptions(pool, ref w, request, withLease: false);
        pool.Acks++;
        return Finish(ref w, out length);
    }

    private Next Refuse(Reason reason, out int length)
    {
        length = 0;
        return Drop(reason);
    }

    private Next Finish(ref DhcpWriter w, out int length)
    {
        if (!w.TryFinish(out length))
        {
            length = 0;
            return Drop(Reason.NoRoom);
        }
        return To(Output.Link);
    }

    /// <summary>The pool's subnet mask, router, DNS, broadcast address; with a lease T1 and T2 too (RFC 2132; RFC 2131 4.4.5 defaults).</summary>
    private void AddOptions(DhcpPool pool, ref DhcpWriter w, DhcpMessage request, bool withLease)
    {
        w.AddSubnetMask(Address(pool.Mask));
        if (pool.RouterFor(DhcpFrame.Host(request.Header.GatewayAddress)) is uint gateway and not 0)
        {
            ReadOnlySpan<Ipv4Address> router = [Address(gateway)];
            w.AddRouters(router);
        }
        Ipv4Address[] dns = pool.Dns ?? _dns;
        if (dns.Length > 0)
        {
            w.AddDomainNameServers(dns);
        }
        Span<byte> broadcast = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(broadcast, pool.Broadcast);
        w.AddOption(DhcpOptionCode.BroadcastAddress, broadcast);
        if (withLease)
        {
            w.AddRenewalTime(pool.LeaseSeconds / 2);
            w.AddRebindingTime((uint)(pool.LeaseSeconds * 7UL / 8));
        }
        EchoClientIdentifier(ref w, request);
    }

    /// <summary>RFC 6842: a server that receives a client identifier returns it.</summary>
    private static void EchoClientIdentifier(ref DhcpWriter w, DhcpMessage request)
    {
        if (request.TryGetOption(DhcpOptionCode.ClientIdentifier, out ReadOnlySpan<byte> id))
        {
            w.AddOption(DhcpOptionCode.ClientIdentifier, id);
        }
    }

    /// <summary>
    /// Sends <paramref name="reply"/> where RFC 2131 4.1 says, in place of the request: to a
    /// relay's port 67, broadcast for a NAK, routed to ciaddr for a client off the served link,
    /// broadcast for the broadcast flag, else to the client's MAC at ciaddr or yiaddr.
    /// </summary>
    private Next Deliver(Packet packet, DhcpMessage request, ReadOnlySpan<byte> reply) =>
        TryWriteReply(packet, request, reply, out Output output) ? To(output) : Drop(Reason.NoRoom);

    /// <summary>Writes <paramref name="reply"/> into <paramref name="packet"/> as <see cref="Deliver"/> sends it; false when it does not fit.</summary>
    private unsafe bool TryWriteReply(Packet packet, DhcpMessage request, ReadOnlySpan<byte> reply, out Output output)
    {
        ref DhcpHeader header = ref request.Header;
        uint giaddr = DhcpFrame.Host(header.GatewayAddress);
        uint ciaddr = DhcpFrame.Host(header.ClientAddress);
        bool broadcastFlag = (header.Flags.Host & DhcpHeader.BroadcastFlag) != 0;
        MacAddress chaddr = header.ClientMac;
        // The reply's own fields decide the rest: a NAK is broadcast, yiaddr is the client's new address.
        bool nak = reply.Length > DhcpHeader.Size + 2 && reply[DhcpHeader.Size] == DhcpOptionCode.MessageType
            && reply[DhcpHeader.Size + 2] == (byte)DhcpMessageType.Nak;
        uint yiaddr = BinaryPrimitives.ReadUInt32BigEndian(reply.Slice(16, 4));
        // The reply was built in a buffer of its own; the request's frame is overwritten from here on.
        Span<byte> frame = new(packet.DataPointer, packet.Length + packet.Tailroom);
        output = Output.Link;
        bool written;
        int length;
        if (giaddr != 0)
        {
            written = DhcpFrame.TryWrite(frame, reply, default, default, _server, giaddr, DhcpFrame.ServerPort, DhcpFrame.ServerPort, out length);
            output = Output.Relay;
        }
        else if (nak)
        {
            written = DhcpFrame.TryWrite(frame, reply, MacAddress.Broadcast, _mac, _server, 0xFFFF_FFFF, DhcpFrame.ServerPort, DhcpFrame.ClientPort, out length);
        }
        else if (ciaddr != 0 && !_pools[0].Contains(ciaddr))
        {
            // A client behind a relay, renewing or informing by unicast: "the server unicasts ...
            // to the address in 'ciaddr'" (4.1), which only routing reaches.
            written = DhcpFrame.TryWrite(frame, reply, default, default, _server, ciaddr, DhcpFrame.ServerPort, DhcpFrame.ClientPort, out length);
            output = Output.Relay;
        }
        else if (broadcastFlag || (ciaddr == 0 && yiaddr == 0))
        {
            written = DhcpFrame.TryWrite(frame, reply, MacAddress.Broadcast, _mac, _server, 0xFFFF_FFFF, DhcpFrame.ServerPort, DhcpFrame.ClientPort, out length);
        }
        else
        {
            written = DhcpFrame.TryWrite(frame, reply, chaddr, _mac, _server, ciaddr != 0 ? ciaddr : yiaddr, DhcpFrame.ServerPort, DhcpFrame.ClientPort, out length);
        }
        if (!written)
        {
            return false;
        }
        DhcpFrame.SetMeta(packet, length);
        return true;
    }

    /// <summary>Ends offers, leases and declines; follows DNS servers the router learned; queues the lease file.</summary>
    public override void Tick(long nowNanoseconds)
    {
        if (_held.Count != 0)
        {
            ResolveProbes(nowNanoseconds);
        }
        foreach (DhcpPool pool in _pools)
        {
            pool.Expired += pool.Leases.Expire(nowNanoseconds);
        }
        if (_configuredDns.Length == 0 && _book is not null && !ReferenceEquals(_book.Current, _bookSeen))
        {
            _bookSeen = _book.Current;
            _dns = [.. _book.DnsServers.Select(static d => new Ipv4Address(new NetU32(d)))];
        }
        if (_file is not null && TakeDirty())
        {
            _file.Post(FileRecords(nowNanoseconds));
        }
    }

    /// <summary>Writes the lease file one last time (a graceful stop).</summary>
    public override void OnStop()
    {
        ReleaseHeld();
        if (_file is not null)
        {
            TakeDirty();
            _file.Flush(FileRecords(_clock.NowNanoseconds));
        }
    }

    /// <summary>True when a binding changed in any pool since the last call.</summary>
    private bool TakeDirty()
    {
        bool dirty = false;
        foreach (DhcpPool pool in _pools)
        {
            dirty |= pool.Leases.Dirty;
            pool.Leases.Dirty = false;
        }
        return dirty;
    }

    /// <summary>Every pool's leases for the file (one file: an address names its pool, as networks do not overlap).</summary>
    private List<DhcpLeaseFile.Record> FileRecords(long now)
    {
        var records = new List<DhcpLeaseFile.Record>();
        DateTimeOffset wall = DateTimeOffset.UtcNow;
        foreach (DhcpPool pool in _pools)
        {
            DhcpLeaseTable leases = pool.Leases;
            for (int i = 0; i < leases.Count; i++)
            {
                LeaseSlot slot = leases[i];
                if (slot.Client is null || slot.State is DhcpLeaseState.Declined)
                {
                    continue;
                }
                DateTimeOffset? until = slot.State == DhcpLeaseState.Bound ? wall.AddTicks((slot.Deadline - now) / 100) : null;
                records.Add(new DhcpLeaseFile.Record(leases.AddressOf(i), slot.Client, slot.Mac, slot.HostName, until));
            }
        }
        return records;
    }

    /// <summary>
    /// Leases from the file, each into the pool whose range holds its address: still running ones
    /// bound again, ended ones remembered as previous bindings. An address no pool holds now is
    /// left out.
    /// </summary>
    private void Restore(List<DhcpLeaseFile.Record> records)
    {
        long now = _clock.NowNanoseconds;
        DateTimeOffset wall = DateTimeOffset.UtcNow;
        foreach (DhcpLeaseFile.Record record in records)
        {
            DhcpLeaseTable? leases = PoolOf(record.Address)?.Leases;
            int index = leases?.IndexOf(record.Address) ?? -1;
            if (index < 0)
            {
                continue;
            }
            if (record.BoundUntil is { } until && until > wall)
            {
                leases!.Assign(index, DhcpLeaseState.Bound, record.Client, record.Mac, record.HostName, now + (until - wall).Ticks * 100);
            }
            else
            {
                leases!.Assign(index, DhcpLeaseState.Free, record.Client, record.Mac, record.HostName, now);
                leases.Free(index, now);
            }
        }
        TakeDirty();
    }

    /// <summary>The binding key (RFC 2131 4.2): option 61 when present, else chaddr.</summary>
    private static ReadOnlySpan<byte> ClientKey(DhcpMessage request)
    {
        if (request.TryGetOption(DhcpOptionCode.ClientIdentifier, out ReadOnlySpan<byte> id) && id.Length > 1)
        {
            return id;
        }
        return request.Bytes.Slice(28, 6);
    }

    /// <summary>Option 12, stored with the lease (lease path, not per packet: a small string is fine).</summary>
    private static string? HostName(DhcpMessage request) =>
        request.TryGetOption(DhcpOptionCode.HostName, out ReadOnlySpan<byte> name) && name.Length > 0
            ? System.Text.Encoding.ASCII.GetString(name)
            : null;

    private static Ipv4Address Address(uint host) => new(new NetU32(host));
}
