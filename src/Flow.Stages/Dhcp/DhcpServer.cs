using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
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
/// addresses of a range, with the subnet mask, router, DNS servers, broadcast address, lease time,
/// T1 and T2, and keeps the leases in a file across restarts when asked to.
/// </summary>
/// <remarks>
/// Input: local UDP (<c>ipv4_local:udp</c>), L3 and L4 offsets set by <c>ipv4_input</c>.
/// Output <c>link</c>: replies as complete Ethernet frames for the served interface's tx —
/// broadcast (ff:ff:ff:ff:ff:ff to 255.255.255.255) when the client set the broadcast flag or for
/// a DHCPNAK, else straight to the client's hardware address at ciaddr (renewing) or yiaddr (RFC
/// 2131 4.1: the server addresses the frame to chaddr, no ARP, since the client has no address yet).
/// Output <c>relay</c>: replies to a relay agent (giaddr set), IPv4 to giaddr port 67 with room
/// for the Ethernet header: route them (<c>local_lookup</c>).
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
/// A relayed request (giaddr set) is served only when the relay is on the served network: the
/// range is that network's, and an address of it would be wrong on the relay's other subnets.
/// Drops: <c>disabled</c>, <c>malformed</c>, <c>not_request</c>, <c>bad_hardware</c>, <c>other_subnet</c>,
/// <c>no_message_type</c>, <c>bad_message_type</c>, <c>pool_exhausted</c>, <c>other_server</c>
/// (REQUEST for another server), <c>no_binding</c> (nothing to answer: unknown client, address
/// outside the range), <c>no_room</c>. A DECLINE or RELEASE acted on is consumed (it has no answer;
/// <c>dhcp show</c> counts it).
/// Timers (<see cref="Tick"/>): offers, leases and declines end; the lease file is written after a
/// change (off the worker). Lease state belongs to the worker; <c>dhcp leases</c> and
/// <c>dhcp show</c> read it through the control mailbox.
/// </remarks>
[SingleShard("its leases: a copy per shard would hand out the same address twice")]
[Stage("dhcp_server", "Router DHCP server (RFC 2131) for one interface: leases from a range, options, delivery rules, lease file.",
    Accepts = typeof(Carries.Ipv4))]
public sealed partial class DhcpServer : Stage<DhcpServer.Output, DhcpServer.Reason>, IControlledStage, IDisposable
{
    /// <summary>Largest DHCP message the server writes (RFC 2131 2: a client accepts 576-byte IP datagrams).</summary>
    private const int MaxReply = 576 - 28;

    private readonly DhcpServerOptions _options;
    private readonly IFlowClock _clock;
    private readonly InterfaceAddressBook? _book;
    private readonly DhcpLeaseTable _leases;
    private readonly DhcpLeaseFile? _file;
    private readonly ushort _port;
    private readonly MacAddress _mac;
    private readonly uint _server;
    private readonly uint _mask;
    private readonly uint _network;
    private readonly uint _broadcast;
    private readonly uint _router;
    private readonly uint _leaseSeconds;
    private readonly long _leaseNanoseconds;
    private readonly long _offerNanoseconds;
    private readonly long _declineNanoseconds;
    private readonly Ipv4Address[] _configuredDns;
    // DNS servers handed out: the configured ones, else those the router's DHCP client learned.
    private Ipv4Address[] _dns;
    private InterfaceAddressBook.Snapshot? _bookSeen;

    // Worker-owned counters; read through the control mailbox.
    private readonly long[] _received = new long[9];
    private long _offers;
    private long _acks;
    private long _naks;
    private long _expired;

    public DhcpServer(DhcpServerOptions options, IFlowClock clock, InterfaceAddressBook? addresses = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        _options = options;
        _clock = clock;
        RouterInterfaceTable interfaces = RouterInterfaceTable.Create(options.Interfaces);
        var errors = new List<string>();
        int index = -1;
        for (int i = 0; i < interfaces.Count; i++)
        {
            if (interfaces.Interfaces[i].Name == options.Interface)
            {
                index = i;
            }
        }
        if (index < 0)
        {
            throw new RouterConfigurationException($"Interface '{options.Interface}' is none of the interfaces ({string.Join(", ", interfaces.Interfaces.Select(i => i.Name))})");
        }
        RouterInterfaceOptions served = interfaces.Interfaces[index];
        _port = served.Id ?? (ushort)index;
        _mac = interfaces.MacOf(index);
        // A disabled server answers nothing, so the rest need not fit the interface (router.json
        // keeps the stage with its default range whatever address the lan port is given).
        string? own = served.StaticAddresses.FirstOrDefault() ?? (options.Enabled ? null : "0.0.0.0/32");
        if (own is null)
        {
            throw new RouterConfigurationException($"interface '{served.Name}' has no static address; a DHCP server needs one (its server identifier and the network it serves)");
        }
        int slash = own.IndexOf('/', StringComparison.Ordinal);
        _server = ParseAddress(own[..slash])!.Value;
        int prefix = int.Parse(own.AsSpan(slash + 1), CultureInfo.InvariantCulture);
        _mask = RouterInterfaceTable.PrefixMask(prefix);
        _network = _server & _mask;
        _broadcast = _network | ~_mask;
        _router = _server;
        if (options.Router is not null && ParseAddress(options.Router) is not uint router)
        {
            errors.Add($"Router '{options.Router}' is not an IPv4 address");
        }
        else if (options.Router is not null)
        {
            _router = ParseAddress(options.Router)!.Value;
        }
        var dns = new List<Ipv4Address>();
        foreach (string text in options.Dns)
        {
            if (ParseAddress(text) is uint server)
            {
                dns.Add(new Ipv4Address(new NetU32(server)));
            }
            else
            {
                errors.Add($"Dns '{text}' is not an IPv4 address");
            }
        }
        _configuredDns = [.. dns];
        _dns = _configuredDns;
        _book = addresses;
        uint first = 0, last = 0;
        string[] ends = options.Range.Split('-', StringSplitOptions.TrimEntries);
        if (!options.Enabled)
        {
            (first, last) = (0, 0);
        }
        else if (ends.Length != 2 || ParseAddress(ends[0]) is not uint a || ParseAddress(ends[1]) is not uint b)
        {
            errors.Add($"Range '{options.Range}' is not two IPv4 addresses first-last, like 192.168.1.100-192.168.1.199");
        }
        else if (b < a || (a & _mask) != _network || (b & _mask) != _network)
        {
            errors.Add($"Range '{options.Range}' is not an ascending range inside {served.Name}'s network {new Ipv4Address(new NetU32(_network))}/{prefix}");
        }
        else if (b - a >= DhcpLeaseTable.MaxAddresses)
        {
            errors.Add($"Range '{options.Range}' holds {b - a + 1} addresses; at most {DhcpLeaseTable.MaxAddresses}");
        }
        else
        {
            (first, last) = (a, b);
        }
        if (options.LeaseTime < TimeSpan.FromSeconds(10) || options.LeaseTime.TotalSeconds > uint.MaxValue - 1)
        {
            errors.Add($"LeaseTime {options.LeaseTime} is out of range 10 seconds to 136 years");
        }
        if (options.OfferTime <= TimeSpan.Zero || options.DeclineTime <= TimeSpan.Zero)
        {
            errors.Add($"OfferTime {options.OfferTime} and DeclineTime {options.DeclineTime} must be positive");
        }
        if (options.ProbeTime < TimeSpan.Zero || options.ProbeTime > TimeSpan.FromSeconds(10))
        {
            errors.Add($"ProbeTime {options.ProbeTime} is out of range 0 (no probe) to 10 seconds");
        }
        if (errors.Count > 0)
        {
            throw new RouterConfigurationException(errors);
        }
        _leaseSeconds = (uint)options.LeaseTime.TotalSeconds;
        _leaseNanoseconds = _leaseSeconds * 1_000_000_000L;
        _offerNanoseconds = options.OfferTime.Ticks * 100;
        _declineNanoseconds = options.DeclineTime.Ticks * 100;
        // Probing needs arp's reports, which come through the book.
        if (options.Enabled && options.ProbeTime > TimeSpan.Zero && addresses is not null)
        {
            _probeNanoseconds = options.ProbeTime.Ticks * 100;
            _probePool = PacketPool.Create(MaxHeldDiscovers, 128, 0, name: $"dhcp_server.{options.Interface}.probes");
        }
        _leases = new DhcpLeaseTable(first, last, _server, _network, _broadcast);
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
        [Port(typeof(Carries.Ipv4), "replies to a relay agent (giaddr): route them")]
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
        [DropReason("no free address left in the range", Severity.Warning)]
        PoolExhausted,
        [DropReason("REQUEST for another server: the client took another offer", Severity.Info)]
        OtherServer,
        [DropReason("nothing to answer: no record of the client or an address not ours (RFC 2131 4.3.2 silence)", Severity.Info)]
        NoBinding,
        [DropReason("the frame has no room for the reply", Severity.Error)]
        NoRoom,
        [DropReason("relayed from a subnet (giaddr) the server has no range for", Severity.Info)]
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
        if (giaddr != 0 && (giaddr & _mask) != _network)
        {
            // RFC 2131 4.3.1: a relayed client gets an address of the relay's (giaddr's) subnet;
            // this server has a range on its own interface's network only.
            return Drop(Reason.OtherSubnet);
        }
        Span<byte> reply = stackalloc byte[MaxReply];
        int length;
        bool held = false;
        Next next = type switch
        {
            DhcpMessageType.Discover => Discover(packet, request, reply, now, attempt: 0, out length, out held),
            DhcpMessageType.Request => Request(request, reply, now, out length),
            DhcpMessageType.Decline => Decline(request, now, out length),
            DhcpMessageType.Release => Release(request, now, out length),
            DhcpMessageType.Inform => Inform(request, reply, out length),
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

    private Next Discover(Packet packet, DhcpMessage request, Span<byte> reply, long now, int attempt, out int length, out bool held)
    {
        length = 0;
        held = false;
        ReadOnlySpan<byte> client = ClientKey(request);
        uint requested = request.TryGetOption(DhcpOptionCode.RequestedIpAddress, out ReadOnlySpan<byte> r) && r.Length == 4 ? DhcpFrame.Host(r) : 0;
        int index = _leases.Choose(client, requested);
        if (index < 0)
        {
            return Drop(Reason.PoolExhausted);
        }
        if (_held.Count != 0 && IsHeld(index))
        {
            return Drop(Reason.Probing);
        }
        ref LeaseSlot slot = ref _leases[index];
        // An address the client does not hold now is probed first (see DhcpServer.Probe.cs).
        if (_probePool is not null && slot.State == DhcpLeaseState.Free && attempt < MaxProbesPerDiscover && request.Header.GatewayAddress.IsUnspecified)
        {
            if (_held.Count == MaxHeldDiscovers)
            {
                return Drop(Reason.ProbesBusy);
            }
            // Held for the client while it is probed, so that no other DISCOVER gets it meanwhile.
            _leases.Assign(index, DhcpLeaseState.Offered, client, request.Header.ClientMac, HostName(request), now + _probeNanoseconds + _offerNanoseconds);
            if (Hold(packet, request, index, now, attempt))
            {
                held = true;
                return Next.Consumed;
            }
        }
        // A bound client asking again keeps its lease; anything else is held as an offer (RFC 2131 3.1 step 2).
        if (slot.State != DhcpLeaseState.Bound)
        {
            _leases.Assign(index, DhcpLeaseState.Offered, client, request.Header.ClientMac, HostName(request), now + _offerNanoseconds);
        }
        return Offer(request, reply, index, out length);
    }

    /// <summary>The OFFER of slot <paramref name="index"/>'s address, with every option (table 3).</summary>
    private Next Offer(DhcpMessage request, Span<byte> reply, int index, out int length)
    {
        DhcpWriter w = DhcpBuilder.StartOffer(reply, request, Address(_leases.AddressOf(index)), Address(_server), _leaseSeconds);
        AddOptions(ref w, request, withLease: true);
        _offers++;
        return Finish(ref w, out length);
    }

    private Next Request(DhcpMessage request, Span<byte> reply, long now, out int length)
    {
        length = 0;
        ReadOnlySpan<byte> client = ClientKey(request);
        uint ciaddr = DhcpFrame.Host(request.Header.ClientAddress);
        bool hasServer = request.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> s) && s.Length == 4;
        uint requested = request.TryGetOption(DhcpOptionCode.RequestedIpAddress, out ReadOnlySpan<byte> r) && r.Length == 4 ? DhcpFrame.Host(r) : 0;
        int found = _leases.FindClient(client, out bool current);
        if (hasServer)
        {
            // SELECTING (RFC 2131 4.3.2): the client names the server whose offer it took.
            if (DhcpFrame.Host(s) != _server)
            {
                if (found >= 0 && current && _leases[found].State == DhcpLeaseState.Offered)
                {
                    _leases.Free(found, now);
                }
                return Drop(Reason.OtherServer);
            }
            if (found >= 0 && current && _leases.AddressOf(found) == requested && ciaddr == 0)
            {
                return Ack(request, reply, found, client, now, out length);
            }
            return Nak(request, reply, out length);
        }
        if (ciaddr == 0)
        {
            // INIT-REBOOT: the client checks an address it remembers.
            if (requested == 0)
            {
                return Drop(Reason.NoBinding);
            }
            if ((requested & _mask) != _network)
            {
                return Nak(request, reply, out length);
            }
            if (found >= 0 && _leases.AddressOf(found) == requested)
            {
                // Its current binding, or its previous one if nobody took the address since.
                return Ack(request, reply, found, client, now, out length);
            }
            int asked = _leases.IndexOf(requested);
            if (asked >= 0 && _leases[asked].State != DhcpLeaseState.Free)
            {
                return Nak(request, reply, out length);
            }
            return Drop(Reason.NoBinding);
        }
        // RENEWING (unicast) or REBINDING (broadcast): ciaddr is the client's address.
        if (found >= 0 && _leases.AddressOf(found) == ciaddr)
        {
            return Ack(request, reply, found, client, now, out length);
        }
        int index = _leases.IndexOf(ciaddr);
        if (index < 0)
        {
            // Off our network: wrong (NAK, 4.3.2 "incorrect network"); on it but outside the range: not ours to judge.
            return (ciaddr & _mask) != _network ? Nak(request, reply, out length) : Drop(Reason.NoBinding);
        }
        if (_leases[index].State is DhcpLeaseState.Free)
        {
            // A lease this server no longer knows (lost its file): the address is free, so the client keeps it.
            return Ack(request, reply, index, client, now, out length);
        }
        return Nak(request, reply, out length);
    }

    private Next Ack(DhcpMessage request, Span<byte> reply, int index, ReadOnlySpan<byte> client, long now, out int length)
    {
        _leases.Assign(index, DhcpLeaseState.Bound, client, request.Header.ClientMac, HostName(request), now + _leaseNanoseconds);
        DhcpWriter w = DhcpBuilder.StartAck(reply, request, Address(_leases.AddressOf(index)), Address(_server), _leaseSeconds);
        AddOptions(ref w, request, withLease: true);
        _acks++;
        return Finish(ref w, out length);
    }

    private Next Nak(DhcpMessage request, Span<byte> reply, out int length)
    {
        DhcpWriter w = DhcpBuilder.StartNak(reply, request, Address(_server));
        EchoClientIdentifier(ref w, request);
        if (!w.Overflowed && !w.Header.GatewayAddress.IsUnspecified)
        {
            // RFC 2131 4.3.2: a NAK through a relay asks it to broadcast.
            w.Header.Flags = new NetU16(DhcpHeader.BroadcastFlag);
        }
        _naks++;
        return Finish(ref w, out length);
    }

    private Next Decline(DhcpMessage request, long now, out int length)
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
        int index = _leases.IndexOf(DhcpFrame.Host(r));
        int found = _leases.FindClient(ClientKey(request), out bool current);
        if (index < 0 || found != index || !current)
        {
            return Drop(Reason.NoBinding);
        }
        _leases.Decline(index, now + _declineNanoseconds);
        return Next.Consumed;
    }

    private Next Release(DhcpMessage request, long now, out int length)
    {
        length = 0;
        if (request.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> s) && s.Length == 4 && DhcpFrame.Host(s) != _server)
        {
            return Drop(Reason.OtherServer);
        }
        int found = _leases.FindClient(ClientKey(request), out bool current);
        if (found < 0 || !current || _leases.AddressOf(found) != DhcpFrame.Host(request.Header.ClientAddress))
        {
            return Drop(Reason.NoBinding);
        }
        // RFC 2131 4.3.4: freed, the client remembered for its next DISCOVER.
        _leases.Free(found, now);
        return Next.Consumed;
    }

    private Next Inform(DhcpMessage request, Span<byte> reply, out int length)
    {
        length = 0;
        if (request.Header.ClientAddress.IsUnspecified)
        {
            return Drop(Reason.Malformed);
        }
        DhcpWriter w = DhcpBuilder.StartInformAck(reply, request, Address(_server));
        AddOptions(ref w, request, withLease: false);
        _acks++;
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

    /// <summary>Subnet mask, router, DNS, broadcast address; with a lease T1 and T2 too (RFC 2132; RFC 2131 4.4.5 defaults).</summary>
    private void AddOptions(ref DhcpWriter w, DhcpMessage request, bool withLease)
    {
        w.AddSubnetMask(Address(_mask));
        ReadOnlySpan<Ipv4Address> router = [Address(_router)];
        w.AddRouters(router);
        if (_dns.Length > 0)
        {
            w.AddDomainNameServers(_dns);
        }
        Span<byte> broadcast = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(broadcast, _broadcast);
        w.AddOption(DhcpOptionCode.BroadcastAddress, broadcast);
        if (withLease)
        {
            w.AddRenewalTime(_leaseSeconds / 2);
            w.AddRebindingTime((uint)(_leaseSeconds * 7UL / 8));
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
    /// relay's port 67, broadcast for a NAK or the broadcast flag, else to the client's MAC at
    /// ciaddr or yiaddr.
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
        else if (nak || broadcastFlag || (ciaddr == 0 && yiaddr == 0))
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
        _expired += _leases.Expire(nowNanoseconds);
        if (_configuredDns.Length == 0 && _book is not null && !ReferenceEquals(_book.Current, _bookSeen))
        {
            _bookSeen = _book.Current;
            _dns = [.. _book.DnsServers.Select(static d => new Ipv4Address(new NetU32(d)))];
        }
        if (_file is not null && _leases.Dirty)
        {
            _leases.Dirty = false;
            _file.Post(FileRecords(nowNanoseconds));
        }
    }

    /// <summary>Writes the lease file one last time (a graceful stop).</summary>
    public override void OnStop()
    {
        ReleaseHeld();
        if (_file is not null)
        {
            _leases.Dirty = false;
            _file.Flush(FileRecords(_clock.NowNanoseconds));
        }
    }

    private List<DhcpLeaseFile.Record> FileRecords(long now)
    {
        var records = new List<DhcpLeaseFile.Record>();
        DateTimeOffset wall = DateTimeOffset.UtcNow;
        for (int i = 0; i < _leases.Count; i++)
        {
            LeaseSlot slot = _leases[i];
            if (slot.Client is null || slot.State is DhcpLeaseState.Declined)
            {
                continue;
            }
            DateTimeOffset? until = slot.State == DhcpLeaseState.Bound ? wall.AddTicks((slot.Deadline - now) / 100) : null;
            records.Add(new DhcpLeaseFile.Record(_leases.AddressOf(i), slot.Client, slot.Mac, slot.HostName, until));
        }
        return records;
    }

    /// <summary>Leases from the file: still running ones bound again, ended ones remembered as previous bindings.</summary>
    private void Restore(List<DhcpLeaseFile.Record> records)
    {
        long now = _clock.NowNanoseconds;
        DateTimeOffset wall = DateTimeOffset.UtcNow;
        foreach (DhcpLeaseFile.Record record in records)
        {
            int index = _leases.IndexOf(record.Address);
            if (index < 0)
            {
                continue;
            }
            if (record.BoundUntil is { } until && until > wall)
            {
                _leases.Assign(index, DhcpLeaseState.Bound, record.Client, record.Mac, record.HostName, now + (until - wall).Ticks * 100);
            }
            else
            {
                _leases.Assign(index, DhcpLeaseState.Free, record.Client, record.Mac, record.HostName, now);
                _leases.Free(index, now);
            }
        }
        _leases.Dirty = false;
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

    private static uint? ParseAddress(string text) =>
        IPAddress.TryParse(text, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') == 3
            ? BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes())
            : null;
}
