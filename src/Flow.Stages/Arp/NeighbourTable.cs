using System.Runtime.CompilerServices;
using Flow.Protocols.Ethernet;
using Flow.Stages.Arp.Internal;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Stages.Arp;

/// <summary>
/// The router's IPv4 neighbours (the ARP cache): address and interface → MAC and
/// <see cref="NeighbourState"/>, with a bounded hold queue per unresolved neighbour. Shared by
/// the two stages of resolution: <c>arp</c> (<see cref="ArpResponder"/>) learns into it, sends
/// its requests and runs its timers; <c>arp_resolve</c> (<see cref="ArpResolver"/>) looks next
/// hops up in it, holds packets and sends them once resolved.
/// </summary>
/// <remarks>
/// Worker-owned: both stages must run on one worker, which <see cref="BindWorker"/> checks at
/// start; everything else reaches the table through their control mailboxes — except the
/// copies of a sharded <c>arp_resolve</c> on other workers, which only read it
/// (<see cref="TryReadConcurrent"/>): each slot has a sequence number, odd while the owner
/// changes the slot's key, state or MAC, so a reader that saw the same even number before and
/// after its read saw no torn neighbour (a seqlock; the owner never waits). No lock, no
/// allocation after <see cref="Configure"/>: slots, hash chains and the hold store are arrays
/// sized by <see cref="ArpResponderOptions"/>.
/// A neighbour on a connected prefix of its interface gets a /32 route
/// <c>via &lt;itself&gt;</c> in the <see cref="Ipv4RouteTable"/> while it is resolved (grout's
/// internal host routes), so forwarding finds its own next-hop id in one lookup; the route goes
/// when the neighbour fails or is forgotten. Route changes are queued here and applied off the
/// worker (<see cref="ApplyRouteChanges"/>): the route table's writer lock is never taken on
/// the data path.
/// </remarks>
public sealed partial class NeighbourTable : IDisposable
{
    private NeighbourSlot[] _slots = [];
    private int[] _buckets = [];            // slot + 1 of each chain's head
    private int _bucketMask;
    private int _free;                      // slot + 1 of the free list's head
    private int _count;
    private Packet[] _held = [];
    private int[] _heldNext = [];           // hold store index + 1
    private int _heldFree;
    private int _heldCount;
    private bool _configured;
    private int _owner;                     // managed thread id of the worker; 0 before start

    // Timers in nanoseconds, bounds: set once by Configure.
    internal long ReachableNanoseconds;
    internal long ProbeIntervalNanoseconds;
    internal long FailedNanoseconds;
    internal int UnicastProbes;
    internal int BroadcastProbes;
    internal int MaxHeldPerNeighbour;

    // Worker-owned counters; read through the control mailbox.
    internal long HoldOverflows;
    internal long FlushedHeld;

    /// <summary>A table whose resolved on-link neighbours become /32 routes in <paramref name="routes"/> (none when null).</summary>
    public NeighbourTable(Ipv4RouteTable? routes = null)
    {
        _routes = routes;
    }

    /// <summary>Neighbours in the table, every state.</summary>
    public int Count => _count;

    /// <summary>Packets held for unresolved neighbours now.</summary>
    public int HeldCount => _heldCount;

    public int Capacity => _slots.Length;

    /// <summary>Set when a neighbour with held packets was resolved or failed; cleared by the resolver that sends them on.</summary>
    internal bool HeldReady;

    internal NeighbourSlot[] Slots => _slots;

    /// <summary>Sizes the table and sets its timers; once. Throws <see cref="RouterConfigurationException"/> naming every bad value.</summary>
    public void Configure(ArpResponderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.MaxNeighbours is < 1 or > 1 << 20)
        {
            errors.Add($"MaxNeighbours {options.MaxNeighbours} is out of range 1 to {1 << 20}");
        }
        if (options.MaxHeldPackets is < 1 or > 1 << 20)
        {
            errors.Add($"MaxHeldPackets {options.MaxHeldPackets} is out of range 1 to {1 << 20}");
        }
        if (options.MaxHeldPerNeighbour is < 1 or > 256)
        {
            errors.Add($"MaxHeldPerNeighbour {options.MaxHeldPerNeighbour} is out of range 1 to 256");
        }
        CheckTime(errors, nameof(options.ReachableTime), options.ReachableTime, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
        CheckTime(errors, nameof(options.ProbeInterval), options.ProbeInterval, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        CheckTime(errors, nameof(options.FailedTime), options.FailedTime, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
        if (options.UnicastProbes is < 0 or > 100)
        {
            errors.Add($"UnicastProbes {options.UnicastProbes} is out of range 0 to 100");
        }
        if (options.BroadcastProbes is < 1 or > 100)
        {
            errors.Add($"BroadcastProbes {options.BroadcastProbes} is out of range 1 to 100 (a neighbour must be asked for by broadcast at least once)");
        }
        if (errors.Count > 0)
        {
            throw new RouterConfigurationException(errors);
        }
        if (_configured)
        {
            throw new InvalidOperationException("the neighbour table is configured already: a router has one arp stage");
        }
        _configured = true;
        ReachableNanoseconds = Nanoseconds(options.ReachableTime);
        ProbeIntervalNanoseconds = Nanoseconds(options.ProbeInterval);
        FailedNanoseconds = Nanoseconds(options.FailedTime);
        UnicastProbes = options.UnicastProbes;
        BroadcastProbes = options.BroadcastProbes;
        MaxHeldPerNeighbour = options.MaxHeldPerNeighbour;

        _slots = new NeighbourSlot[options.MaxNeighbours];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i].Next = i + 2 <= _slots.Length ? i + 2 : 0;
        }
        _free = 1;
        int buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)options.MaxNeighbours * 2);
        _buckets = new int[buckets];
        _bucketMask = buckets - 1;
        _held = new Packet[options.MaxHeldPackets];
        _heldNext = new int[options.MaxHeldPackets];
        for (int i = 0; i < _heldNext.Length; i++)
        {
            _heldNext[i] = i + 2 <= _heldNext.Length ? i + 2 : 0;
        }
        _heldFree = 1;
        _routeChanges = new RouteChange[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)options.MaxNeighbours * 4)];
    }

    /// <summary>
    /// Called by each stage using the table from its worker's <see cref="Stage.OnStart"/>: every
    /// one must be on the same worker, because the table takes no locks.
    /// </summary>
    public void BindWorker(string stage)
    {
        int me = Environment.CurrentManagedThreadId;
        int owner = Interlocked.CompareExchange(ref _owner, me, 0);
        if (owner != 0 && owner != me)
        {
            throw new InvalidOperationException(
                $"stage '{stage}' runs on another worker than the other arp stages; arp and arp_resolve share one neighbour table and must be placed on one worker");
        }
        if (!_configured)
        {
            throw new InvalidOperationException($"stage '{stage}': the neighbour table has no arp stage to configure it; add an 'arp' stage to the graph");
        }
    }

    /// <summary>The slot of (<paramref name="address"/>, <paramref name="port"/>), or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int Find(uint address, ushort port)
    {
        int[] buckets = _buckets;
        if (buckets.Length == 0)
        {
            return -1;
        }
        NeighbourSlot[] slots = _slots;
        int at = buckets[Bucket(address, port)];
        while (at != 0)
        {
            ref NeighbourSlot slot = ref slots[at - 1];
            if (slot.Address == address && slot.Port == port)
            {
                return at - 1;
            }
            at = slot.Next;
        }
        return -1;
    }

    /// <summary>A new incomplete neighbour, its first request due now; -1 when the table is full.</summary>
    internal int Create(uint address, ushort port, int interfaceIndex, bool onLink, long now)
    {
        if (_free == 0)
        {
            return -1;
        }
        int index = _free - 1;
        ref NeighbourSlot slot = ref _slots[index];
        _free = slot.Next;
        int version = BeginWrite(ref slot);
        Clear(ref slot);
        slot.InUse = true;
        slot.Address = address;
        slot.Port = port;
        slot.Interface = (short)interfaceIndex;
        slot.OnLink = onLink;
        slot.State = NeighbourState.Incomplete;
        slot.NextProbe = now;
        slot.Changed = now;
        int bucket = Bucket(address, port);
        slot.Next = _buckets[bucket];
        EndWrite(ref slot, version);
        // Linked after it is whole: a reader that finds it through the chain finds it written.
        Volatile.Write(ref _buckets[bucket], index + 1);
        _count++;
        return index;
    }

    /// <summary>
    /// An ARP packet from the neighbour gave its MAC: reachable for the reachable time, its /32
    /// route queued, its held packets ready to go (RFC 826 merge; RFC 1122 2.3.2.1).
    /// </summary>
    internal void Confirm(int index, MacAddress mac, long now)
    {
        ref NeighbourSlot slot = ref _slots[index];
        int version = BeginWrite(ref slot);
        slot.Mac = mac;
        slot.MacKnown = true;
        slot.State = NeighbourState.Reachable;
        EndWrite(ref slot, version);
        slot.Deadline = now + ReachableNanoseconds;
        slot.Changed = now;
        slot.Probes = 0;
        if (slot.OnLink && !slot.Routed)
        {
            slot.Routed = true;
            QueueRouteChange(slot.Address, slot.Port, add: true);
        }
        if (slot.HeldCount != 0)
        {
            HeldReady = true;
        }
    }

    /// <summary>A stale neighbour is used again: re-probe it, unicast first, while packets keep going to its MAC.</summary>
    internal void StartProbe(int index, long now)
    {
        ref NeighbourSlot slot = ref _slots[index];
        SetState(ref slot, NeighbourState.Probe);
        slot.Probes = 0;
        slot.NextProbe = now;
        slot.Changed = now;
    }

    /// <summary>No probe was answered: failed, its route removed, its held packets ready for host unreachable.</summary>
    internal void Fail(int index, long now)
    {
        ref NeighbourSlot slot = ref _slots[index];
        SetState(ref slot, NeighbourState.Failed);
        slot.Deadline = now + FailedNanoseconds;
        slot.Changed = now;
        DropRoute(ref slot);
        if (slot.HeldCount != 0)
        {
            HeldReady = true;
        }
    }

    /// <summary>Reachable time over: stale, forgotten after as long again unless used.</summary>
    internal void MakeStale(int index, long now)
    {
        ref NeighbourSlot slot = ref _slots[index];
        SetState(ref slot, NeighbourState.Stale);
        slot.Deadline = now + ReachableNanoseconds;
        slot.Changed = now;
    }

    /// <summary>Forgets the neighbour: its route is removed and any packets still held are freed (counted).</summary>
    internal void Remove(int index)
    {
        ref NeighbourSlot slot = ref _slots[index];
        DropRoute(ref slot);
        while (TryTakeHeld(index, out Packet packet))
        {
            PacketPools.Free(packet);
            FlushedHeld++;
        }
        int bucket = Bucket(slot.Address, slot.Port);
        ref int link = ref _buckets[bucket];
        while (link != index + 1)
        {
            link = ref _slots[link - 1].Next;
        }
        int version = BeginWrite(ref slot);
        link = slot.Next;
        Clear(ref slot);
        slot.Next = _free;
        EndWrite(ref slot, version);
        _free = index + 1;
        _count--;
    }

    /// <summary>Queues <paramref name="packet"/> on the neighbour; false when its queue or the hold store is full (counted).</summary>
    internal bool Hold(int index, Packet packet)
    {
        ref NeighbourSlot slot = ref _slots[index];
        if (slot.HeldCount >= MaxHeldPerNeighbour || _heldFree == 0)
        {
            HoldOverflows++;
            return false;
        }
        int at = _heldFree - 1;
        _heldFree = _heldNext[at];
        _held[at] = packet;
        _heldNext[at] = 0;
        if (slot.HeldTail == 0)
        {
            slot.HeldHead = at + 1;
        }
        else
        {
            _heldNext[slot.HeldTail - 1] = at + 1;
        }
        slot.HeldTail = at + 1;
        slot.HeldCount++;
        _heldCount++;
        return true;
    }

    /// <summary>The neighbour's oldest held packet, in arrival order.</summary>
    internal bool TryTakeHeld(int index, out Packet packet)
    {
        ref NeighbourSlot slot = ref _slots[index];
        if (slot.HeldHead == 0)
        {
            packet = default;
            return false;
        }
        int at = slot.HeldHead - 1;
        packet = _held[at];
        _held[at] = default;
        slot.HeldHead = _heldNext[at];
        if (slot.HeldHead == 0)
        {
            slot.HeldTail = 0;
        }
        _heldNext[at] = _heldFree;
        _heldFree = at + 1;
        slot.HeldCount--;
        _heldCount--;
        return true;
    }

    /// <summary>Forgets every neighbour (control: <c>neigh flush</c>); returns how many there were.</summary>
    internal int Flush()
    {
        int removed = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].InUse)
            {
                Remove(i);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>A copy of every neighbour for control output, in address order.</summary>
    internal List<NeighbourEntry> Snapshot(RouterInterfaceTable interfaces, long now)
    {
        var entries = new List<NeighbourEntry>(_count);
        foreach (ref readonly NeighbourSlot slot in _slots.AsSpan())
        {
            if (slot.InUse)
            {
                string name = slot.Interface < interfaces.Count ? interfaces.Interfaces[slot.Interface].Name : slot.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                entries.Add(new NeighbourEntry(new Protocols.Ipv4.Ipv4Address(new Protocols.NetU32(slot.Address)), name, slot.Port,
                    slot.MacKnown ? slot.Mac : null, slot.State, TimeSpan.FromTicks(Math.Max(0, now - slot.Changed) / 100), slot.HeldCount, slot.Routed));
            }
        }
        entries.Sort(static (a, b) => a.Address.Value.Host.CompareTo(b.Address.Value.Host) is int c && c != 0 ? c : a.PortId.CompareTo(b.PortId));
        return entries;
    }

    /// <summary>
    /// Reads (<paramref name="address"/>, <paramref name="port"/>) from a worker other than the
    /// owner's: true with its slot, state, MAC and interface index when found in a state the owner
    /// had finished writing. <paramref name="hint"/> (a slot the caller found it in before, or −1)
    /// is tried first; else its chain is walked, at most <see cref="MaxConcurrentChainSteps"/>
    /// slots, since the owner may relink a slot under the reader. False also when the owner kept
    /// changing it: the caller hands the packet to the owner, which is always right.
    /// </summary>
    internal bool TryReadConcurrent(uint address, ushort port, int hint, out int index, out NeighbourState state, out MacAddress mac, out short interfaceIndex)
    {
        NeighbourSlot[] slots = _slots;
        if ((uint)hint < (uint)slots.Length && TryReadSlot(ref slots[hint], address, port, out state, out mac, out interfaceIndex))
        {
            index = hint;
            return true;
        }
        int[] buckets = _buckets;
        if (buckets.Length != 0)
        {
            int at = Volatile.Read(ref buckets[Bucket(address, port)]);
            for (int step = 0; at != 0 && (uint)(at - 1) < (uint)slots.Length && step < MaxConcurrentChainSteps; step++)
            {
                ref NeighbourSlot slot = ref slots[at - 1];
                if (slot.Address == address && slot.Port == port && TryReadSlot(ref slot, address, port, out state, out mac, out interfaceIndex))
                {
                    index = at - 1;
                    return true;
                }
                at = Volatile.Read(ref slot.Next);
            }
        }
        index = -1;
        state = default;
        mac = default;
        interfaceIndex = -1;
        return false;
    }

    /// <summary>Slots a reader on another worker walks in one chain at most (chains are short: twice as many buckets as slots).</summary>
    internal const int MaxConcurrentChainSteps = 64;

    private static bool TryReadSlot(ref NeighbourSlot slot, uint address, ushort port, out NeighbourState state, out MacAddress mac, out short interfaceIndex)
    {
        for (int attempt = 0; attempt < 4; attempt++)
        {
            int before = Volatile.Read(ref slot.Version);
            if ((before & 1) == 0)
            {
                bool match = slot.InUse && slot.Address == address && slot.Port == port;
                state = slot.State;
                mac = slot.Mac;
                interfaceIndex = slot.Interface;
                Volatile.ReadBarrier();
                if (Volatile.Read(ref slot.Version) == before)
                {
                    return match;
                }
            }
            Thread.SpinWait(1);
        }
        state = default;
        mac = default;
        interfaceIndex = -1;
        return false;
    }

    // A slot's number turns odd before the owner's first change to it (a full fence) and even
    // after the last (a release). Returns the odd number, which Create's and Remove's whole-slot
    // resets would otherwise lose.
    private static int BeginWrite(ref NeighbourSlot slot) => Interlocked.Increment(ref slot.Version);

    private static void EndWrite(ref NeighbourSlot slot, int version) => Volatile.Write(ref slot.Version, version + 1);

    /// <summary>Every field but the sequence number, which stays odd while the slot is rewritten.</summary>
    private static void Clear(ref NeighbourSlot slot)
    {
        // Field by field: a whole-struct reset would pass through number 0, which looks even.
        slot.Address = 0;
        slot.Port = 0;
        slot.Interface = 0;
        slot.State = default;
        slot.InUse = false;
        slot.MacKnown = false;
        slot.OnLink = false;
        slot.Routed = false;
        slot.Probes = 0;
        slot.Mac = default;
        slot.Deadline = 0;
        slot.NextProbe = 0;
        slot.Changed = 0;
        slot.HeldHead = 0;
        slot.HeldTail = 0;
        slot.HeldCount = 0;
        slot.Next = 0;
    }

    private static void SetState(ref NeighbourSlot slot, NeighbourState state)
    {
        int version = BeginWrite(ref slot);
        slot.State = state;
        EndWrite(ref slot, version);
    }

    private void DropRoute(ref NeighbourSlot slot)
    {
        if (slot.Routed)
        {
            slot.Routed = false;
            QueueRouteChange(slot.Address, slot.Port, add: false);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Bucket(uint address, ushort port) => (int)((address ^ (uint)port << 16) * 0x9E3779B1u >> 8) & _bucketMask;

    private static long Nanoseconds(TimeSpan time) => time.Ticks * 100;

    private static void CheckTime(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name} {value} is out of range {min} to {max}");
        }
    }

    public void Dispose()
    {
        StopRouteChanges();
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].InUse)
            {
                while (TryTakeHeld(i, out Packet packet))
                {
                    PacketPools.Free(packet);
                }
            }
        }
    }
}
