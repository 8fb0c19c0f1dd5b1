using System.Buffers.Binary;
using Flow.Protocols;
using Flow.Protocols.Dhcp;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;
using Flow.Stages.Arp.Internal;
using Flow.Stages.Dhcp.Internal;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Stages.Dhcp;

/// <summary>
/// The router's DHCP client for one interface (RFC 2131 4.4): takes the interface's address,
/// connected route and default route from a DHCP server, renews and rebinds the lease, and
/// gives it back when the graph stops gracefully.
/// </summary>
/// <remarks>
/// Input: local UDP for port 68 (<c>dhcp_server:other</c>, or <c>ipv4_local:udp</c>).
/// Output <c>link</c>: DISCOVER, REQUEST (SELECTING, REBINDING), DECLINE and the ARP probes of
/// the address check as complete broadcast frames for the interface's tx. Output <c>routed</c>: the REQUEST of RENEWING and the RELEASE, unicast to
/// the server, with room for the Ethernet header: route them (<c>local_lookup</c>).
/// With a <see cref="DhcpClientOptions.LeaseFile"/> holding a lease that has not ended, the client
/// starts in INIT-REBOOT: a broadcast REQUEST for that address (REBOOTING, 4.4.2; two tries, then
/// INIT); an ACK goes on as in REQUESTING, a NAK back to INIT. Each binding is written to the file,
/// and the file emptied when the lease is released, refused, declined or over; a stop without a
/// drain keeps it.
/// States (figure 5): INIT → SELECTING (DISCOVER; the first OFFER is taken) → REQUESTING →
/// CHECKING on ACK: ARP probes for the address (<see cref="DhcpClientOptions.AddressCheckProbes"/>,
/// RFC 2131 4.4.1); a host that answers or probes for it too (reported by <c>arp</c> through the
/// <see cref="InterfaceAddressBook"/>) makes the client DECLINE it and start again in INIT ten
/// seconds later (3.1 step 5); with no claim the client is BOUND: the address is published in the <see cref="InterfaceAddressBook"/> (every router stage
/// takes it up at its next tick, <c>arp</c> announces it by gratuitous ARP), and the connected
/// route, the address's local route and a default route via the first router of option 3 are
/// added to the <see cref="Ipv4RouteTable"/>. At T1 RENEWING (unicast REQUEST to the server), at T2
/// REBINDING (broadcast), at expiry all of that is removed and the client starts again in INIT; a
/// NAK does the same at once. Retransmission (4.1): 4, 8, 16, 32, 64, 64 … seconds ±1 s while
/// selecting, four tries while requesting; in RENEWING and REBINDING half the time left to T2 or
/// expiry, at least 60 s (4.4.5). Every exchange has a new xid, kept for its retransmissions so a
/// late answer to the first try still counts. After an expiry the next DISCOVER suggests the old
/// address (option 50, 4.4.1). The client asks for the broadcast flag (it cannot
/// take unicast before it has an address, 4.1) and names itself by option 61 (type 1, its MAC).
/// Drops: <c>not_dhcp</c> (not UDP to port 68), <c>other_interface</c>, <c>disabled</c>,
/// <c>malformed</c>, <c>not_for_us</c> (not a reply, another xid or chaddr), <c>unexpected</c>
/// (a message the state does not wait for), <c>no_lease</c> (an OFFER or ACK missing its address,
/// server identifier or a sane lease).
/// State and timers belong to the worker; <c>dhcp show</c> reads them through the mailbox.
/// </remarks>
[SingleShard("one lease per interface: a copy per shard would be a second client with the same MAC")]
[Stage("dhcp_client", "Router DHCP client (RFC 2131) for one interface: address, connected and default route from a lease; renew, rebind, release.",
    Accepts = typeof(Carries.Ipv4))]
public sealed class DhcpClient : Stage<DhcpClient.Output, DhcpClient.Reason>, IDisposable
{
    /// <summary>REQUESTs sent in REQUESTING before the client gives up on an offer and starts again (4, 8, 16, 32 s).</summary>
    public const int RequestTries = 4;

    /// <summary>REQUESTs sent in REBOOTING before the client gives its remembered address up and starts in INIT (4, 8 s).</summary>
    public const int RebootTries = 2;

    private const long Second = 1_000_000_000;
    private const int MaxMessage = 576 - 28;

    private readonly DhcpClientOptions _options;
    private readonly IFlowClock _clock;
    private readonly Ipv4RouteTable _routes;
    private readonly InterfaceAddressBook _book;
    private readonly PacketPool? _pool;
    private readonly Random _random;
    private readonly ushort _port;
    private readonly MacAddress _mac;
    private readonly byte[]? _hostName;
    private readonly DhcpLeaseFile? _file;

    private DhcpClientState _state;
    private uint _xid;
    private int _tries;
    private long _nextSend;
    private long _exchangeStart;
    private uint _offered;
    private uint _server;
    // The lease in force (BOUND, RENEWING, REBINDING).
    private uint _address;
    // The address of a lease that expired, asked for again in the next DISCOVER (RFC 2131 4.4.1
    // lets a client suggest one); 0 after a NAK, which said it is wrong.
    private uint _previous;
    private int _prefix;
    private uint _router;
    private uint[] _dns = [];
    private long _leaseSeconds;
    private long _t1;
    private long _t2;
    private long _expiry;
    private bool _defaultRouteAdded;
    // CHECKING: the lease an ACK granted, and the book's record of claims on its address.
    private DhcpLease _pending;
    private AddressCheck? _check;

    // Worker-owned counters; read through the control mailbox.
    private long _discovers;
    private long _requests;
    private long _releases;
    private long _offers;
    private long _acks;
    private long _naks;
    private long _bindings;
    private long _expirations;
    private long _poolEmpty;
    private long _probes;
    private long _conflicts;
    private long _declines;

    public DhcpClient(DhcpClientOptions options, IFlowClock clock, Ipv4RouteTable routes, InterfaceAddressBook addresses)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(addresses);
        RouterInterfaceTable interfaces = RouterInterfaceTable.Create(options.Interfaces);
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
        if (options.HostName is { Length: > 63 })
        {
            throw new RouterConfigurationException($"HostName '{options.HostName}' is longer than 63 characters");
        }
        _options = options;
        _clock = clock;
        _routes = routes;
        _book = addresses;
        _port = interfaces.Interfaces[index].Id ?? (ushort)index;
        _mac = interfaces.MacOf(index);
        _hostName = options.HostName is null ? null : System.Text.Encoding.ASCII.GetBytes(options.HostName);
        // xids and back-off jitter need not be secret, only different between routers (RFC 2131 4.4.1).
        _random = new Random();
        _state = interfaces.Interfaces[index].UsesDhcp ? DhcpClientState.Init : DhcpClientState.Disabled;
        if (_state != DhcpClientState.Disabled)
        {
            if (options.LeaseFile is { Length: > 0 } path)
            {
                _file = new DhcpLeaseFile(path);
                // A lease of this interface's MAC that has not ended: asked for again (INIT-REBOOT).
                if (_file.Read().FirstOrDefault(r => r.Mac == _mac && r.BoundUntil > DateTimeOffset.UtcNow) is { } remembered)
                {
                    _offered = remembered.Address;
                    _state = DhcpClientState.InitReboot;
                }
            }
            _pool = PacketPool.Create(options.PoolFrames, name: $"dhcp_client.{options.Interface}");
        }
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "broadcast DISCOVER, REQUEST, DECLINE and ARP probes as complete frames for the interface's tx")]
        Link,
        [Port(typeof(Carries.Ipv4), "REQUEST (renewing) and RELEASE unicast to the server: route them")]
        Routed,
    }

    public enum Reason : byte
    {
        [DropReason("not UDP to port 68", Severity.Info)]
        NotDhcp,
        [DropReason("arrived on another interface than the client's", Severity.Info)]
        OtherInterface,
        [DropReason("the interface's address is not 'dhcp': the client is off", Severity.Info)]
        Disabled,
        [DropReason("not a DHCP message: too short, bad magic cookie or options", Severity.Warning)]
        Malformed,
        [DropReason("not a reply to this client: op, xid or chaddr differ", Severity.Info)]
        NotForUs,
        [DropReason("a message the client's state does not wait for (a second OFFER, a late ACK)", Severity.Info)]
        Unexpected,
        [DropReason("OFFER or ACK without an address, a server identifier or a usable lease", Severity.Warning)]
        NoLease,
    }

    public DhcpClientState State => _state;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long now = _clock.NowNanoseconds;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Receive(packets[i], now);
        }
    }

    private Next Receive(Packet packet, long now)
    {
        ref PacketMeta meta = ref packet.Meta;
        Span<byte> data = packet.Data;
        int l3 = meta.L3Offset;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip) || ip.Header.Protocol != IpProtocol.Udp
            || !UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp) || udp.Header.DestinationPort.Host != DhcpFrame.ClientPort)
        {
            return Drop(Reason.NotDhcp);
        }
        if (meta.InputPort != _port)
        {
            return Drop(Reason.OtherInterface);
        }
        if (_state == DhcpClientState.Disabled)
        {
            return Drop(Reason.Disabled);
        }
        if (!DhcpMessage.TryParse(udp.Payload, out DhcpMessage message))
        {
            return Drop(Reason.Malformed);
        }
        ref DhcpHeader header = ref message.Header;
        if (header.Operation != DhcpHeader.BootReply || header.TransactionId.Host != _xid || header.ClientMac != _mac
            || !message.TryGetMessageType(out DhcpMessageType type))
        {
            return Drop(Reason.NotForUs);
        }
        Next next = type switch
        {
            DhcpMessageType.Offer => Offer(message, now),
            DhcpMessageType.Ack => Ack(message, now),
            DhcpMessageType.Nak => Nak(now),
            _ => Drop(Reason.Unexpected),
        };
        if (next.Equals(Next.Consumed))
        {
            PacketPools.Free(packet);
        }
        return next;
    }

    private Next Offer(DhcpMessage offer, long now)
    {
        if (_state != DhcpClientState.Selecting)
        {
            return Drop(Reason.Unexpected);
        }
        uint yiaddr = DhcpFrame.Host(offer.Header.YourAddress);
        if (yiaddr == 0 || !RouterInterfaceTable.IsUnicastHost(yiaddr)
            || !offer.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> server) || server.Length != 4)
        {
            return Drop(Reason.NoLease);
        }
        _offers++;
        _offered = yiaddr;
        _server = DhcpFrame.Host(server);
        // The first acceptable offer is taken (4.4.1 allows any choice); REQUESTING starts a new exchange timing.
        _state = DhcpClientState.Requesting;
        _tries = 0;
        _exchangeStart = now;
        SendRequest(now);
        return Next.Consumed;
    }

    private Next Ack(DhcpMessage ack, long now)
    {
        if (_state is not (DhcpClientState.Requesting or DhcpClientState.Rebooting or DhcpClientState.Renewing or DhcpClientState.Rebinding))
        {
            return Drop(Reason.Unexpected);
        }
        uint yiaddr = DhcpFrame.Host(ack.Header.YourAddress);
        bool fresh = _state is DhcpClientState.Requesting or DhcpClientState.Rebooting;
        uint expected = fresh ? _offered : _address;
        if (yiaddr == 0 || yiaddr != expected || !ack.TryGetOption(DhcpOptionCode.IpAddressLeaseTime, out ReadOnlySpan<byte> lease) || lease.Length != 4)
        {
            return Drop(Reason.NoLease);
        }
        _acks++;
        long seconds = BinaryPrimitives.ReadUInt32BigEndian(lease);
        int prefix = Prefix(ack, yiaddr);
        uint router = ack.TryGetOption(DhcpOptionCode.Router, out ReadOnlySpan<byte> r) && r.Length >= 4 ? DhcpFrame.Host(r) : 0;
        if (router != 0 && (router & RouterInterfaceTable.PrefixMask(prefix)) != (yiaddr & RouterInterfaceTable.PrefixMask(prefix)))
        {
            // A router off the leased network cannot be reached over this link: no default route.
            router = 0;
        }
        uint[] dns = [];
        if (ack.TryGetOption(DhcpOptionCode.DomainNameServer, out ReadOnlySpan<byte> d))
        {
            dns = new uint[d.Length / 4];
            for (int i = 0; i < dns.Length; i++)
            {
                dns[i] = DhcpFrame.Host(d.Slice(i * 4, 4));
            }
        }
        if (ack.TryGetOption(DhcpOptionCode.ServerIdentifier, out ReadOnlySpan<byte> server) && server.Length == 4)
        {
            _server = DhcpFrame.Host(server);
        }
        // The lease runs from when the REQUEST was first sent (4.4.1), so the client never outlives it.
        long start = _exchangeStart;
        long t1 = Option(ack, DhcpOptionCode.RenewalTime, seconds / 2);
        long t2 = Option(ack, DhcpOptionCode.RebindingTime, seconds * 7 / 8);
        if (seconds == uint.MaxValue)
        {
            // "Infinite" (RFC 2132 9.2): never renewed.
            t1 = t2 = seconds = long.MaxValue / Second / 2;
        }
        t2 = Math.Clamp(t2, 0, seconds);
        t1 = Math.Clamp(t1, 0, t2);
        var granted = new DhcpLease(yiaddr, prefix, router, dns, seconds, start + t1 * Second, start + t2 * Second, start + seconds * Second);
        if (fresh && _options.AddressCheckProbes > 0)
        {
            StartCheck(granted, now);
        }
        else
        {
            Bind(granted);
        }
        return Next.Consumed;
    }

    /// <summary>
    /// RFC 2131 4.4.1: before it uses a new address the client SHOULD check that no other host
    /// has it. ARP probes (RFC 5227 2.1.1: sender 0.0.0.0, so no host's cache learns from them)
    /// go out <see cref="DhcpClientOptions.AddressCheckInterval"/> apart; <c>arp</c> reports any
    /// host that answers, uses or probes for the address to the book's check.
    /// </summary>
    private void StartCheck(DhcpLease lease, long now)
    {
        _pending = lease;
        _check = _book.BeginCheck(_options.Interface, lease.Address);
        _state = DhcpClientState.Checking;
        _tries = 0;
        SendProbe(now);
    }

    private void SendProbe(long now)
    {
        if (_pool is not null && _pool.TryAllocate(out Packet packet))
        {
            ArpRequestFrame.Write(packet, _mac, default, Address(_pending.Address), _port);
            Emit(packet, Output.Link);
            _probes++;
        }
        else
        {
            _poolEmpty++;
        }
        _tries++;
        _nextSend = now + (long)_options.AddressCheckInterval.TotalNanoseconds;
    }

    /// <summary>The check's end: another host claimed the address (DECLINE, INIT after ten seconds, 3.1 step 5), or none did (BOUND).</summary>
    private void FinishCheck(long now)
    {
        if (_check is null)
        {
            return;
        }
        bool claimed = _check.Claimant is not null;
        _book.EndCheck(_check);
        _check = null;
        if (claimed)
        {
            _conflicts++;
            _offered = _pending.Address;
            NewExchange(now);
            if (Send(DhcpMessageType.Decline, now))
            {
                _declines++;
            }
            Forget();
            _previous = 0;
            _state = DhcpClientState.Init;
            _nextSend = now + (10 * Second);
            return;
        }
        Bind(_pending);
    }

    private void Bind(DhcpLease lease)
    {
        Install(lease.Address, lease.Prefix, lease.Router, lease.Dns);
        _leaseSeconds = lease.Seconds;
        _t1 = lease.T1;
        _t2 = lease.T2;
        _expiry = lease.Expiry;
        _state = DhcpClientState.Bound;
        _bindings++;
        _file?.Post(LeaseRecords());
    }

    /// <summary>The lease as the file keeps it: the address, the client, and its end on the wall clock.</summary>
    private List<DhcpLeaseFile.Record> LeaseRecords()
    {
        Span<byte> id = [1, 0, 0, 0, 0, 0, 0];
        _mac.CopyTo(id.Slice(1));
        long left = Math.Max(0, _expiry - _clock.NowNanoseconds);
        return [new DhcpLeaseFile.Record(_address, id.ToArray(), _mac, null, DateTimeOffset.UtcNow.AddTicks(Math.Min(left / 100, TimeSpan.FromDays(365 * 100).Ticks)))];
    }

    /// <summary>The lease is given back, refused or over: the file forgets it.</summary>
    private void Forget() => _file?.Post([]);

    private Next Nak(long now)
    {
        if (_state is not (DhcpClientState.Requesting or DhcpClientState.Rebooting or DhcpClientState.Renewing or DhcpClientState.Rebinding))
        {
            return Drop(Reason.Unexpected);
        }
        _naks++;
        Forget();
        Uninstall();
        _previous = 0;
        // 3.1 step 4: start again; a second's pause keeps a confused server from being flooded.
        _state = DhcpClientState.Init;
        _nextSend = now + Second;
        return Next.Consumed;
    }

    /// <summary>The state machine's timers: start, retransmissions, T1, T2, expiry.</summary>
    public override void Tick(long nowNanoseconds)
    {
        long now = nowNanoseconds;
        switch (_state)
        {
            case DhcpClientState.InitReboot when now >= _nextSend:
                _state = DhcpClientState.Rebooting;
                NewExchange(now);
                SendRequest(now);
                break;
            case DhcpClientState.Rebooting when now >= _nextSend:
                if (_tries >= RebootTries)
                {
                    // No server answered for the remembered address: ask for any (4.4.2 lets the
                    // client keep using it until the lease ends; a router without a confirmed
                    // address is the safer failure).
                    Forget();
                    _state = DhcpClientState.Init;
                    _nextSend = now;
                    break;
                }
                SendRequest(now);
                break;
            case DhcpClientState.Init when now >= _nextSend:
                _state = DhcpClientState.Selecting;
                NewExchange(now);
                SendDiscover(now);
                break;
            case DhcpClientState.Selecting when now >= _nextSend:
                SendDiscover(now);
                break;
            case DhcpClientState.Requesting when now >= _nextSend:
                if (_tries >= RequestTries)
                {
                    _state = DhcpClientState.Init;
                    _nextSend = now;
                    break;
                }
                SendRequest(now);
                break;
            case DhcpClientState.Checking when _check?.Claimant is not null:
                FinishCheck(now);
                break;
            case DhcpClientState.Checking when now >= _nextSend:
                if (_tries < _options.AddressCheckProbes)
                {
                    SendProbe(now);
                }
                else
                {
                    // An interval after the last probe with no claim: the address is free.
                    FinishCheck(now);
                }
                break;
            case DhcpClientState.Bound when now >= _t1:
                _state = DhcpClientState.Renewing;
                NewExchange(now);
                SendRequest(now);
                break;
            case DhcpClientState.Renewing when now >= _t2:
                _state = DhcpClientState.Rebinding;
                NewExchange(now);
                SendRequest(now);
                break;
            case DhcpClientState.Renewing or DhcpClientState.Rebinding when now >= _expiry:
                _expirations++;
                _previous = _address;
                Forget();
                Uninstall();
                _state = DhcpClientState.Init;
                _nextSend = now;
                break;
            case DhcpClientState.Renewing or DhcpClientState.Rebinding when now >= _nextSend:
                SendRequest(now);
                break;
        }
    }

    /// <summary>Gives the lease back (RFC 2131 4.4.6) when the graph stops gracefully; the address and routes go with it.</summary>
    public override void OnDraining()
    {
        if (_state is DhcpClientState.Bound or DhcpClientState.Renewing or DhcpClientState.Rebinding)
        {
            NewExchange(_clock.NowNanoseconds);
            Send(DhcpMessageType.Release, _clock.NowNanoseconds);
            _releases++;
            Forget();
            Uninstall();
            _state = DhcpClientState.Init;
            _nextSend = long.MaxValue;
        }
    }

    /// <summary>Takes the lease's address and routes back out of the book and the route table when the graph stops without a drain.</summary>
    public override void OnStop()
    {
        if (_check is not null)
        {
            _book.EndCheck(_check);
            _check = null;
        }
        // A stop without a drain gives nothing back: the lease stays in the file for INIT-REBOOT.
        if (_file is not null && _address != 0)
        {
            _file.Flush(LeaseRecords());
        }
        Uninstall();
    }

    private void NewExchange(long now)
    {
        _xid = (uint)_random.NextInt64(1, uint.MaxValue);
        _tries = 0;
        _exchangeStart = now;
    }

    private void SendDiscover(long now)
    {
        if (Send(DhcpMessageType.Discover, now))
        {
            _discovers++;
        }
        _nextSend = now + Backoff(_tries++);
    }

    private void SendRequest(long now)
    {
        if (Send(DhcpMessageType.Request, now))
        {
            _requests++;
        }
        _tries++;
        _nextSend = _state switch
        {
            DhcpClientState.Renewing => now + Math.Max((_t2 - now) / 2, 60 * Second),
            DhcpClientState.Rebinding => now + Math.Max((_expiry - now) / 2, 60 * Second),
            _ => now + Backoff(_tries - 1),
        };
    }

    /// <summary>RFC 2131 4.1: 4 s doubled each try up to 64 s, randomized by ±1 s.</summary>
    private long Backoff(int tries) => (4L << Math.Min(tries, 4)) * Second + _random.NextInt64(-Second, Second + 1);

    /// <summary>Builds and emits one message; false when no frame was free (counted; the retransmission timer tries again).</summary>
    private unsafe bool Send(DhcpMessageType type, long now)
    {
        if (_pool is null || !_pool.TryAllocate(out Packet packet))
        {
            _poolEmpty++;
            return false;
        }
        Span<byte> message = stackalloc byte[MaxMessage];
        scoped DhcpWriter w;
        bool unicast = false;
        uint source = 0;
        switch (type)
        {
            case DhcpMessageType.Discover:
                w = DhcpBuilder.StartDiscover(message, _xid, _mac);
                if (_previous != 0)
                {
                    w.AddRequestedAddress(Address(_previous));
                }
                break;
            case DhcpMessageType.Release:
                w = DhcpBuilder.StartRelease(message, _xid, _mac, Address(_address), Address(_server));
                unicast = true;
                source = _address;
                break;
            case DhcpMessageType.Decline:
                w = DhcpBuilder.StartDecline(message, _xid, _mac, Address(_offered), Address(_server));
                break;
            case DhcpMessageType.Request when _state == DhcpClientState.Rebooting:
                w = DhcpBuilder.StartRebootRequest(message, _xid, _mac, Address(_offered));
                break;
            case DhcpMessageType.Request when _state == DhcpClientState.Requesting:
                w = DhcpBuilder.StartRequest(message, _xid, _mac, Address(_offered), Address(_server));
                break;
            default:
                // RENEWING and REBINDING (table 5): ciaddr is the address, no server identifier or requested address.
                w = DhcpWriter.Start(message, DhcpHeader.BootRequest, _xid, _mac, DhcpMessageType.Request);
                w.Header.ClientAddress = Address(_address);
                Span<byte> id = stackalloc byte[6];
                _mac.CopyTo(id);
                w.AddClientIdentifier(1, id);
                unicast = _state == DhcpClientState.Renewing;
                source = _address;
                break;
        }
        // 4.4.1 "secs": seconds since the exchange began.
        w.Header.Seconds = new NetU16((ushort)Math.Min((now - _exchangeStart) / Second, ushort.MaxValue));
        if (type is DhcpMessageType.Discover or DhcpMessageType.Request)
        {
            ReadOnlySpan<byte> wanted = [DhcpOptionCode.SubnetMask, DhcpOptionCode.Router, DhcpOptionCode.DomainNameServer, DhcpOptionCode.BroadcastAddress,
                DhcpOptionCode.IpAddressLeaseTime, DhcpOptionCode.RenewalTime, DhcpOptionCode.RebindingTime];
            w.AddParameterRequestList(wanted);
            if (_hostName is not null)
            {
                w.AddHostName(_hostName);
            }
        }
        w.TryFinish(out int length);
        Span<byte> frame = new(packet.DataPointer, packet.Length + packet.Tailroom);
        uint destination = unicast ? _server : 0xFFFF_FFFF;
        if (!DhcpFrame.TryWrite(frame, message.Slice(0, length), unicast ? default : MacAddress.Broadcast, _mac, source, destination,
            DhcpFrame.ClientPort, DhcpFrame.ServerPort, out int frameLength))
        {
            PacketPools.Free(packet);
            return false;
        }
        DhcpFrame.SetMeta(packet, frameLength);
        packet.Meta.InputPort = _port;
        Emit(packet, unicast ? Output.Routed : Output.Link);
        return true;
    }

    /// <summary>Publishes the address and adds its routes (the route table's writer lock: rare, never taken by the data path).</summary>
    private void Install(uint address, int prefix, uint router, uint[] dns)
    {
        if (_address == address && _prefix == prefix && _router == router && _dns.AsSpan().SequenceEqual(dns))
        {
            // A renewal of the same lease: nothing for the stages to rebuild.
            return;
        }
        if (_address != 0)
        {
            Uninstall();
        }
        _address = address;
        _prefix = prefix;
        _router = router;
        _dns = dns;
        _book.Set(_options.Interface, new InterfaceAddressBook.LearnedAddress(address, prefix, dns, router));
        uint mask = RouterInterfaceTable.PrefixMask(prefix);
        if (prefix < 32)
        {
            _routes.Add(new Ipv4Prefix(address & mask, prefix), Ipv4Route.Connected(_port));
        }
        _routes.Add(new Ipv4Prefix(address, 32), Ipv4Route.Local(_port));
        if (router != 0)
        {
            // A default route the graph file gave is replaced while the lease lasts.
            _routes.Add(new Ipv4Prefix(0, 0), Ipv4Route.Via(Address(router), _port));
            _defaultRouteAdded = true;
        }
    }

    /// <summary>Withdraws the address and the routes <see cref="Install"/> added (a default route someone changed since is left alone).</summary>
    private void Uninstall()
    {
        if (_address == 0)
        {
            return;
        }
        _book.Set(_options.Interface, null);
        uint mask = RouterInterfaceTable.PrefixMask(_prefix);
        if (_prefix < 32)
        {
            _routes.Delete(new Ipv4Prefix(_address & mask, _prefix));
        }
        _routes.Delete(new Ipv4Prefix(_address, 32));
        if (_defaultRouteAdded && _routes.TryGet(new Ipv4Prefix(0, 0), out Ipv4Route route) && route.Equals(Ipv4Route.Via(Address(_router), _port)))
        {
            _routes.Delete(new Ipv4Prefix(0, 0));
        }
        _defaultRouteAdded = false;
        _address = 0;
        _prefix = 0;
        _router = 0;
        _dns = [];
        _leaseSeconds = 0;
    }

    /// <summary>The prefix from option 1 (a contiguous mask), else the address's class (RFC 2131 does not say; Linux clients do this).</summary>
    private static int Prefix(DhcpMessage ack, uint address)
    {
        if (ack.TryGetOption(DhcpOptionCode.SubnetMask, out ReadOnlySpan<byte> m) && m.Length == 4)
        {
            uint mask = DhcpFrame.Host(m);
            int length = System.Numerics.BitOperations.PopCount(mask);
            if (length is >= 1 and <= 32 && RouterInterfaceTable.PrefixMask(length) == mask)
            {
                return length;
            }
        }
        return (address >> 24) switch
        {
            < 128 => 8,
            < 192 => 16,
            _ => 24,
        };
    }

    private static long Option(DhcpMessage message, byte code, long fallback) =>
        message.TryGetOption(code, out ReadOnlySpan<byte> value) && value.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(value) : fallback;

    private static Ipv4Address Address(uint host) => new(new NetU32(host));

    private static string Text(uint host) => Address(host).ToString();

    /// <summary>The client as <c>dhcp show</c> prints it.</summary>
    public DhcpClientStatus GetStatus()
    {
        long now = _clock.NowNanoseconds;
        bool leased = _address != 0;
        long Left(long at) => leased ? Math.Max(0, (at - now) / Second) : 0;
        return new DhcpClientStatus(_options.Interface, _state, leased ? $"{Text(_address)}/{_prefix}" : null, _server != 0 ? Text(_server) : null,
            _router != 0 ? Text(_router) : null, [.. _dns.Select(Text)], _leaseSeconds, Left(_t1), Left(_t2), Left(_expiry),
            _discovers, _requests, _releases, _offers, _acks, _naks, _bindings, _expirations, _probes, _conflicts, _declines);
    }

    public void Dispose() => _pool?.Dispose();
}
