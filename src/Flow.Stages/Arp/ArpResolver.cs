using System.Runtime.CompilerServices;
using Flow.Protocols.Ipv4;
using Flow.Stages.Arp.Internal;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.Stages.Ipv4.Internal;

namespace Flow.Stages.Arp;

/// <summary>
/// Neighbour rewrite or hold, the last step of IPv4 output: finds each packet's next hop in the
/// <see cref="NeighbourTable"/>, writes the Ethernet header for it and sends the packet out of
/// its interface; a packet for a neighbour not resolved yet is held until <c>arp</c> learns it
/// (RFC 1122 2.3.2.2), and answered host unreachable when resolution fails (RFC 1812 5.2.7.1).
/// </summary>
/// <remarks>
/// Input: IPv4 packets after the output checks (MTU, fragmentation) with
/// <see cref="PacketMeta.NextHop"/> a next-hop id of the shared <see cref="Ipv4RouteTable"/>:
/// a <c>via</c> next hop resolves its gateway, a <c>connected</c> one the packet's destination,
/// on the next hop's port.
/// Outputs: one per interface, named as the interface: the packet with a new Ethernet header
/// (destination the neighbour's MAC, source the interface's, type IPv4) right before its IPv4
/// header, L2 offset 0 and L3 offset 14 — connect each to that interface's tx. Output
/// <c>unreachable</c>: packets whose neighbour failed, unchanged (their arrival Ethernet header
/// still in front) with <see cref="IcmpErrorRequest.HostUnreachable"/> in
/// <see cref="PacketMeta.UserWord"/> — connect it to <c>icmp_error</c>.
/// Consumed: packets held for an incomplete neighbour (at most
/// <see cref="ArpResponderOptions.MaxHeldPerNeighbour"/> each, in order). A packet to a next hop
/// the table does not know creates an incomplete neighbour; <c>arp</c> sends its requests on its
/// next tick. Held packets leave, in arrival order, on the first batch or tick after the
/// neighbour is resolved — by the interface port — or failed — by <c>unreachable</c> (emitted,
/// so counted as out on those ports). A stale neighbour in use is re-probed while packets keep
/// going to its cached MAC.
/// Drops: <c>truncated</c> (no IPv4 header at L3), <c>bad_next_hop</c> (NextHop not a via or
/// connected next hop: wired after the wrong stage), <c>unknown_port</c> (the next hop's port
/// is no interface), <c>table_full</c> (no room for a new neighbour), <c>hold_full</c> (the
/// neighbour's queue or the hold store is full), <c>no_headroom</c> (no 14 bytes before the
/// IPv4 header for the Ethernet header).
/// Batch semantics: the clock is read once per batch; neighbours resolved while the batch runs
/// are seen by the packets after it.
/// </remarks>
[Stage("arp_resolve", "Router neighbour rewrite or hold: Ethernet header from the neighbour table, hold queue while ARP resolves, host unreachable when it fails.",
    Accepts = typeof(Carries.Ipv4))]
public sealed partial class ArpResolver : Stage<ArpResolver.Output, ArpResolver.Reason>
{
    /// <summary>The name of the port failed packets leave by, after the interfaces' ports.</summary>
    public const string UnreachablePort = "unreachable";

    private readonly NeighbourTable _table;
    private readonly Ipv4RouteTable _routes;
    private readonly IFlowClock _clock;
    private readonly int _unreachable;
    // Next-hop id → neighbour slot + 1: a via next hop (a gateway, or a neighbour's own /32)
    // names one neighbour, so its slot is found by one load; checked against the key before use.
    private readonly int[] _slotByNextHop;
    // Replaced only between batches (control messages).
    private RouterInterfaceTable _interfaces;
    // Follows addresses a dhcp_client learns (checked in Tick, a batch boundary).
    private readonly InterfaceWatch _watch;
    private InterfaceAddresses _addresses;

    // Worker-owned counters; read through the control mailbox.
    private long _sent;
    private long _held;
    private long _released;
    private long _unreachableSent;

    public ArpResolver(ArpResolverOptions options, NeighbourTable table, Ipv4RouteTable routes, IFlowClock clock, InterfaceAddressBook? addresses = null)
        : this(options, table, routes, clock, addresses, writer: null)
    {
    }

    private ArpResolver(ArpResolverOptions options, NeighbourTable table, Ipv4RouteTable routes, IFlowClock clock, InterfaceAddressBook? addresses, ArpResolver? writer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(clock);
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
        _watch = new InterfaceWatch(options.Interfaces, addresses);
        if (_interfaces.Interfaces.Any(i => i.Name == UnreachablePort))
        {
            throw new RouterConfigurationException($"interface name '{UnreachablePort}' is taken by arp_resolve's port for failed packets; rename the interface");
        }
        _addresses = new InterfaceAddresses(_interfaces);
        _table = table;
        _routes = routes;
        _clock = clock;
        _unreachable = _interfaces.Count;
        _slotByNextHop = new int[routes.NextHops.Capacity];
        _options = options;
        _addressBook = addresses;
        _writer = writer;
        if (_interfaces.Interfaces.Any(i => i.Name == IShardedStage.WriterPort))
        {
            throw new RouterConfigurationException($"interface name '{IShardedStage.WriterPort}' is taken by the port a sharded arp_resolve hands packets to its writer by; rename the interface");
        }
        _toWriter = writer is null ? -1 : _unreachable + 1;
        NamePorts(Output.Interface, writer is null
            ? [.. _interfaces.Interfaces.Select(i => i.Name), UnreachablePort]
            : [.. _interfaces.Interfaces.Select(i => i.Name), UnreachablePort, IShardedStage.WriterPort]);
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "packets rewritten for their neighbour, one port per interface named as it; and 'unreachable': failed neighbours' packets for icmp_error")]
        Interface,
    }

    public enum Reason : byte
    {
        [DropReason("no IPv4 header at the L3 offset", Severity.Error)]
        Truncated,
        [DropReason("NextHop is not a via or connected next hop", Severity.Error)]
        BadNextHop,
        [DropReason("the next hop's port is no router interface", Severity.Error)]
        UnknownPort,
        [DropReason("the neighbour table is full", Severity.Warning)]
        TableFull,
        [DropReason("the neighbour's hold queue or the hold store is full", Severity.Warning)]
        HoldFull,
        [DropReason("no room for an Ethernet header before the IPv4 header", Severity.Error)]
        NoHeadroom,
    }

    /// <summary>The neighbour table this stage resolves from.</summary>
    public NeighbourTable Table => _table;

    public override void OnStart()
    {
        if (_writer is null)
        {
            _table.BindWorker(Name);
        }
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        if (_writer is not null)
        {
            ProcessAsReader(packets, nexts);
            return;
        }
        NeighbourTable table = _table;
        if (table.HeldReady)
        {
            SendHeld();
        }
        long now = _clock.NowNanoseconds;
        RouterInterfaceTable interfaces = _interfaces;
        long sent = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            Next next = Resolve(packets[i], table, interfaces, now);
            sent += next.Port >= 0 && next.Port < _unreachable ? 1 : 0;
            nexts[i] = next;
        }
        _sent += sent;
    }

    /// <summary>Sends packets held for neighbours resolved or failed since the last batch.</summary>
    public override void Tick(long nowNanoseconds)
    {
        if (_watch.TryGetChanged(out RouterInterfaceTable? changed))
        {
            SetInterfaces(changed);
        }
        if (_writer is null && _table.HeldReady)
        {
            SendHeld();
        }
    }

    /// <summary>
    /// The neighbour a packet goes to: its next hop's id and kind, the address to resolve (the
    /// gateway, or the destination of a connected next hop), the port and interface index; false
    /// with the drop when the packet or its next hop is not one this stage can send.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe bool TryNeighbourOf(Packet packet, RouterInterfaceTable interfaces, out uint id, out NextHopKind kind, out uint target, out ushort port,
        out int index, out Next refused)
    {
        ref PacketMeta meta = ref packet.Meta;
        (kind, target, port, index, refused) = (default, 0, 0, -1, default);
        id = meta.NextHop;
        if (meta.L3Offset + Ipv4Header.Size > meta.Length)
        {
            refused = Drop(Reason.Truncated);
            return false;
        }
        if (id >= (uint)_slotByNextHop.Length)
        {
            refused = Drop(Reason.BadNextHop);
            return false;
        }
        ref readonly NextHop hop = ref _routes.NextHops[id];
        kind = hop.Kind;
        if (kind == NextHopKind.Via)
        {
            target = hop.Gateway;
        }
        else if (kind == NextHopKind.Connected)
        {
            target = Unsafe.AsRef<Ipv4Header>(packet.DataPointer + meta.L3Offset).Destination.Value.Host;
        }
        else
        {
            refused = Drop(Reason.BadNextHop);
            return false;
        }
        port = hop.Port;
        index = interfaces.IndexOfId(port);
        if (index < 0)
        {
            refused = Drop(Reason.UnknownPort);
            return false;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Next Resolve(Packet packet, NeighbourTable table, RouterInterfaceTable interfaces, long now)
    {
        if (!TryNeighbourOf(packet, interfaces, out uint id, out NextHopKind kind, out uint target, out ushort port, out int index, out Next refused))
        {
            return refused;
        }
        ref PacketMeta meta = ref packet.Meta;

        Span<NeighbourSlot> slots = table.Slots;
        int cached = _slotByNextHop[id] - 1;
        int slot = (uint)cached < (uint)slots.Length && slots[cached].InUse && slots[cached].Address == target && slots[cached].Port == port
            ? cached
            : Lookup(table, id, kind, target, port);
        if (slot < 0)
        {
            slot = table.Create(target, port, index, _addresses.IsOnLink(index, target), now);
            if (slot < 0)
            {
                return Drop(Reason.TableFull);
            }
            if (kind == NextHopKind.Via)
            {
                _slotByNextHop[id] = slot + 1;
            }
        }
        ref NeighbourSlot neighbour = ref slots[slot];
        switch (neighbour.State)
        {
            case NeighbourState.Incomplete:
                if (!table.Hold(slot, packet))
                {
                    return Drop(Reason.HoldFull);
                }
                _held++;
                return Next.Consumed;
            case NeighbourState.Failed:
                meta.UserWord = IcmpErrorRequest.HostUnreachable;
                _unreachableSent++;
                return Next.ToPort(_unreachable);
            case NeighbourState.Stale:
                table.StartProbe(slot, now);
                break;
        }
        if (!EthernetRewrite.TryWrite(packet, neighbour.Mac, interfaces.MacOf(neighbour.Interface)))
        {
            return Drop(Reason.NoHeadroom);
        }
        return Next.ToPort(neighbour.Interface);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int Lookup(NeighbourTable table, uint id, NextHopKind kind, uint target, ushort port)
    {
        int slot = table.Find(target, port);
        if (slot >= 0 && kind == NextHopKind.Via)
        {
            _slotByNextHop[id] = slot + 1;
        }
        return slot;
    }

    /// <summary>Held packets of resolved neighbours out of their interface, of failed ones to <c>unreachable</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SendHeld()
    {
        NeighbourTable table = _table;
        table.HeldReady = false;
        RouterInterfaceTable interfaces = _interfaces;
        Span<NeighbourSlot> slots = table.Slots;
        for (int i = 0; i < slots.Length; i++)
        {
            ref NeighbourSlot slot = ref slots[i];
            if (!slot.InUse || slot.HeldCount == 0 || slot.State == NeighbourState.Incomplete)
            {
                continue;
            }
            while (table.TryTakeHeld(i, out Packet packet))
            {
                if (slot.State == NeighbourState.Failed)
                {
                    packet.Meta.UserWord = IcmpErrorRequest.HostUnreachable;
                    Emit(packet, (Output)(byte)_unreachable);
                    _unreachableSent++;
                }
                else if (EthernetRewrite.TryWrite(packet, slot.Mac, interfaces.MacOf(slot.Interface)))
                {
                    Emit(packet, (Output)(byte)slot.Interface);
                    _released++;
                }
                else
                {
                    PacketPools.Free(packet);
                    CountDrop(Reason.NoHeadroom);
                }
            }
        }
    }
}
