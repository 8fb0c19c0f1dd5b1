using System.Runtime.CompilerServices;
using Flow.Protocols;
using Flow.Protocols.Arp;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;
using Flow.Stages.Arp.Internal;
using Flow.Stages.Ipv4;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Arp;

/// <summary>
/// The router's ARP (RFC 826, RFC 1122 2.3.2): answers requests for the receiving interface's
/// own addresses, learns neighbours into the <see cref="NeighbourTable"/> it shares with
/// <c>arp_resolve</c>, announces every address by gratuitous ARP, and runs the table's timers:
/// requests for unresolved neighbours, re-probes of stale ones, ageing.
/// </summary>
/// <remarks>
/// Input: ARP frames from <c>eth_classify</c> (L2 offset at the Ethernet header, L3 offset at the
/// ARP header, input-port id of a router interface).
/// Outputs: one per interface, named as the interface (<c>lan</c>, <c>wan</c>): replies,
/// gratuitous ARPs and requests leaving by it — connect each to that interface's tx.
/// Answers (RFC 826 "Packet Reception"; never proxy ARP): a request whose target address is one
/// of the receiving interface's addresses is turned into the reply in place and leaves by that
/// interface; a request for an address of another interface is not answered (no proxy ARP,
/// research 1.2 A2).
/// Learning (research 1.2 A3): only from a packet whose sender MAC equals its Ethernet source
/// (else <c>sender_mac_mismatch</c>); an existing entry is refreshed by any such ARP packet from
/// it (RFC 826 merge), a new one is created only from a packet addressed to us whose sender is on
/// the receiving interface's prefixes (grout creates a neighbour for each requester). A sender
/// claiming one of the router's addresses is counted (<see cref="AddressConflicts"/>) and dropped
/// as <c>address_conflict</c>; an RFC 5227 probe (sender 0.0.0.0) is answered, not learned.
/// While a DHCP client or server checks an address before using or offering it
/// (<see cref="InterfaceAddressBook.BeginCheck"/>), an ARP packet from another host that holds or
/// probes for it is reported to the check.
/// A learned neighbour is reachable for <see cref="ArpResponderOptions.ReachableTime"/>; its held
/// packets leave from <c>arp_resolve</c>.
/// Consumed: replies and requests that were only learned from (freed here).
/// Drops: <c>truncated</c>, <c>bad_hardware</c> (not Ethernet, length 6), <c>bad_protocol</c>
/// (not IPv4, length 4), <c>bad_operation</c> (neither request nor reply), <c>unknown_port</c>,
/// <c>sender_mac_mismatch</c>, <c>bad_sender_mac</c> (group or zero), <c>bad_sender_address</c>
/// (not a unicast host address), <c>address_conflict</c>, <c>not_for_us</c> (a request for
/// someone else's address).
/// Timers (<see cref="Tick"/>): the first tick sends one gratuitous ARP (a request with sender
/// and target the address, RFC 5227 2.3 announcement) per interface address, and so does the
/// first tick after <see cref="SetInterfaces"/> for each new address; an incomplete or probed
/// neighbour gets a request every <see cref="ArpResponderOptions.ProbeInterval"/> (at most one
/// per second per destination, RFC 1122 2.3.2.1): to the cached MAC for the first
/// <see cref="ArpResponderOptions.UnicastProbes"/> when it has one, then broadcast, up to
/// UnicastProbes + BroadcastProbes in all; then the neighbour fails. Requests are built in this
/// stage's own pool; when it is empty the request is skipped and counted.
/// </remarks>
[SingleShard("its neighbour table, shared with arp_resolve, may be written by one worker only")]
[Stage("arp", "Router ARP: answers for the receiving interface's addresses, learns neighbours, gratuitous ARP, requests and ageing for arp_resolve.",
    Accepts = typeof(Carries.Arp))]
public sealed partial class ArpResponder : Stage<ArpResponder.Output, ArpResponder.Reason>, IDisposable
{
    private readonly NeighbourTable _table;
    private readonly IFlowClock _clock;
    private readonly PacketPool _pool;
    // Replaced only between batches (control messages).
    private RouterInterfaceTable _interfaces;
    // Follows addresses a dhcp_client learns (checked in Tick, a batch boundary).
    private readonly InterfaceWatch _watch;
    // Where DHCP stages check addresses before using or offering them: claims seen here go there.
    private readonly InterfaceAddressBook? _book;
    private InterfaceAddresses _addresses;
    private List<(int Interface, uint Address)> _announce = [];

    // Worker-owned counters; read through the control mailbox.
    private long _replies;
    private long _learned;
    private long _created;
    private long _conflicts;
    private long _tableFull;
    private long _requestsSent;
    private long _gratuitousSent;
    private long _poolEmpty;
    private long _failed;
    private long _aged;

    public ArpResponder(ArpResponderOptions options, NeighbourTable table, IFlowClock clock, InterfaceAddressBook? addresses = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(clock);
        if (options.RequestPoolFrames is < 1 or > 1 << 16)
        {
            throw new RouterConfigurationException($"RequestPoolFrames {options.RequestPoolFrames} is out of range 1 to {1 << 16}");
        }
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
        _watch = new InterfaceWatch(options.Interfaces, addresses);
        _book = addresses;
        table.Configure(options);
        _table = table;
        _clock = clock;
        _addresses = new InterfaceAddresses(_interfaces);
        NamePorts(Output.Interface, [.. _interfaces.Interfaces.Select(i => i.Name)]);
        _pool = PacketPool.Create(options.RequestPoolFrames, 128, 0, name: "arp.requests");
        for (int i = 0; i < _interfaces.Count; i++)
        {
            foreach (uint address in _addresses.Of(i))
            {
                _announce.Add((i, address));
            }
        }
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Arp), "ARP replies, gratuitous ARPs and requests leaving by this interface (one port per interface, named as it)")]
        Interface,
    }

    public enum Reason : byte
    {
        [DropReason("shorter than an Ethernet header and a 28-byte ARP packet", Severity.Warning)]
        Truncated,
        [DropReason("hardware type not Ethernet (1) or hardware length not 6", Severity.Warning)]
        BadHardware,
        [DropReason("protocol type not IPv4 (0x0800) or protocol length not 4", Severity.Warning)]
        BadProtocol,
        [DropReason("operation neither request (1) nor reply (2)", Severity.Warning)]
        BadOperation,
        [DropReason("arrived with an input-port id that is no router interface", Severity.Error)]
        UnknownPort,
        [DropReason("ARP sender MAC differs from the Ethernet source: not learned, not answered", Severity.Warning)]
        SenderMacMismatch,
        [DropReason("ARP sender MAC is a group or zero address", Severity.Warning)]
        BadSenderMac,
        [DropReason("ARP sender address is not a unicast host address", Severity.Warning)]
        BadSenderAddress,
        [DropReason("a host claims one of the router's addresses", Severity.Error)]
        AddressConflict,
        [DropReason("a request for an address that is not the receiving interface's", Severity.Info)]
        NotForUs,
    }

    /// <summary>The neighbour table this stage learns into.</summary>
    public NeighbourTable Table => _table;

    /// <summary>ARP packets whose sender claimed one of the router's addresses.</summary>
    public long AddressConflicts => _conflicts;

    /// <summary>Requests sent for unresolved or re-probed neighbours.</summary>
    public long RequestsSent => _requestsSent;

    /// <summary>Gratuitous ARPs sent.</summary>
    public long GratuitousSent => _gratuitousSent;

    public override void OnStart() => _table.BindWorker(Name);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long now = _clock.NowNanoseconds;
        RouterInterfaceTable interfaces = _interfaces;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Receive(packets[i], interfaces, now);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe Next Receive(Packet packet, RouterInterfaceTable interfaces, long now)
    {
        ref PacketMeta meta = ref packet.Meta;
        int l2 = meta.L2Offset;
        int l3 = meta.L3Offset;
        if (l2 + EthernetHeader.Size > l3 || l3 + ArpHeader.Size > meta.Length)
        {
            return Drop(Reason.Truncated);
        }
        int index = interfaces.IndexOfId(meta.InputPort);
        if (index < 0)
        {
            return Drop(Reason.UnknownPort);
        }
        byte* data = packet.DataPointer;
        ref ArpHeader arp = ref Unsafe.AsRef<ArpHeader>(data + l3);
        // RFC 826 "Packet Reception": hardware and protocol space first, then the opcode.
        if (arp.HardwareType.Host != ArpHeader.EthernetHardwareType || arp.HardwareLength != 6)
        {
            return Drop(Reason.BadHardware);
        }
        if (arp.ProtocolType.Host != EtherType.Ipv4 || arp.ProtocolLength != 4)
        {
            return Drop(Reason.BadProtocol);
        }
        ushort operation = arp.Operation.Host;
        if (operation is not (ArpOperation.Request or ArpOperation.Reply))
        {
            return Drop(Reason.BadOperation);
        }
        ref EthernetHeader ethernet = ref Unsafe.AsRef<EthernetHeader>(data + l2);
        MacAddress sender = arp.SenderHardwareAddress;
        // Research 1.2 A3 (halo's check): a frame whose ARP sender is not its Ethernet source
        // would let any host point our table at a third party.
        if (sender != ethernet.Source)
        {
            return Drop(Reason.SenderMacMismatch);
        }
        if (sender.IsMulticast || sender == default)
        {
            return Drop(Reason.BadSenderMac);
        }
        uint senderAddress = arp.SenderProtocolAddress.Value.Host;
        uint target = arp.TargetProtocolAddress.Value.Host;
        if (_book is { HasChecks: true } book && sender != interfaces.MacOf(index))
        {
            // RFC 5227 2.1.1: a host using the address (its sender), or probing for it too (a
            // request with sender 0.0.0.0 and the address as target), makes it unusable.
            book.ReportClaim(interfaces.Interfaces[index].Name, senderAddress != 0 ? senderAddress : target, sender);
        }
        if (interfaces.IsOwnAddress(senderAddress))
        {
            _conflicts++;
            return Drop(Reason.AddressConflict);
        }
        bool forUs = _addresses.IsOwn(index, target);
        // RFC 5227 2.1.1: a probe has sender 0.0.0.0; it is answered but teaches nothing.
        if (senderAddress != 0)
        {
            if (!RouterInterfaceTable.IsUnicastHost(senderAddress) || interfaces.IsSubnetBroadcast(senderAddress))
            {
                return Drop(Reason.BadSenderAddress);
            }
            Learn(senderAddress, meta.InputPort, index, sender, forUs, now);
        }
        if (operation == ArpOperation.Request)
        {
            if (!forUs)
            {
                return Drop(Reason.NotForUs);
            }
            MacAddress own = interfaces.MacOf(index);
            arp.TargetHardwareAddress = sender;
            arp.TargetProtocolAddress = arp.SenderProtocolAddress;
            arp.SenderHardwareAddress = own;
            arp.SenderProtocolAddress = new Ipv4Address(new NetU32(target));
            arp.Operation = new NetU16(ArpOperation.Reply);
            ethernet.Destination = sender;
            ethernet.Source = own;
            _replies++;
            return Next.ToPort(index);
        }
        PacketPools.Free(packet);
        return Next.Consumed;
    }

    private void Learn(uint address, ushort port, int index, MacAddress mac, bool forUs, long now)
    {
        NeighbourTable table = _table;
        int slot = table.Find(address, port);
        if (slot < 0)
        {
            if (!forUs || !_addresses.IsOnLink(index, address))
            {
                return;
            }
            slot = table.Create(address, port, index, onLink: true, now);
            if (slot < 0)
            {
                _tableFull++;
                return;
            }
            _created++;
        }
        table.Confirm(slot, mac, now);
        _learned++;
    }

    /// <summary>Gratuitous ARPs due, then each neighbour's timer: requests, failure, ageing.</summary>
    public override void Tick(long nowNanoseconds)
    {
        if (_watch.TryGetChanged(out RouterInterfaceTable? changed))
        {
            SetInterfaces(changed);
        }
        if (_announce.Count != 0)
        {
            Announce();
        }
        NeighbourTable table = _table;
        Span<Internal.NeighbourSlot> slots = table.Slots;
        for (int i = 0; i < slots.Length; i++)
        {
            ref Internal.NeighbourSlot slot = ref slots[i];
            if (!slot.InUse)
            {
                continue;
            }
            switch (slot.State)
            {
                case NeighbourState.Incomplete or NeighbourState.Probe when nowNanoseconds >= slot.NextProbe:
                    if (slot.Probes >= table.UnicastProbes + table.BroadcastProbes)
                    {
                        table.Fail(i, nowNanoseconds);
                        _failed++;
                        break;
                    }
                    bool unicast = slot.MacKnown && slot.Probes < table.UnicastProbes;
                    SendRequest(slot.Interface, slot.Address, unicast ? slot.Mac : MacAddress.Broadcast);
                    slot.Probes++;
                    slot.NextProbe = nowNanoseconds + table.ProbeIntervalNanoseconds;
                    break;
                case NeighbourState.Reachable when nowNanoseconds >= slot.Deadline:
                    table.MakeStale(i, nowNanoseconds);
                    break;
                case NeighbourState.Stale or NeighbourState.Failed when nowNanoseconds >= slot.Deadline:
                    table.Remove(i);
                    _aged++;
                    break;
            }
        }
    }

    private void Announce()
    {
        foreach ((int index, uint address) in _announce)
        {
            if (SendRequest(index, address, MacAddress.Broadcast, gratuitous: true))
            {
                _gratuitousSent++;
            }
        }
        _announce.Clear();
    }

    /// <summary>
    /// A who-has for <paramref name="target"/> out of interface <paramref name="index"/>, from
    /// the interface's address on the target's prefix (else its primary); a gratuitous one asks
    /// for our own address.
    /// </summary>
    private unsafe bool SendRequest(int index, uint target, MacAddress destination, bool gratuitous = false)
    {
        if (!_pool.TryAllocate(out Packet packet))
        {
            _poolEmpty++;
            return false;
        }
        uint from = gratuitous ? target : SourceFor(index, target);
        ArpRequestFrame.Write(packet, _interfaces.MacOf(index), new Ipv4Address(new NetU32(from)), new Ipv4Address(new NetU32(target)),
            _interfaces.Interfaces[index].Id ?? (ushort)index);
        if (destination != MacAddress.Broadcast)
        {
            // RFC 1122 2.3.2.1 unicast poll: to the cached MAC; the ARP fields stay a plain request.
            Unsafe.AsRef<EthernetHeader>(packet.DataPointer).Destination = destination;
        }
        Emit(packet, (Output)(byte)index);
        if (!gratuitous)
        {
            _requestsSent++;
        }
        return true;
    }

    private uint SourceFor(int index, uint target)
    {
        uint onPrefix = _addresses.OwnOnPrefixOf(index, target);
        return onPrefix != 0 ? onPrefix : _interfaces.PrimaryAddressOf(index);
    }

    public void Dispose() => _pool.Dispose();
}
