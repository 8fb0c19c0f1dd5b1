using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Routing;

/// <summary>
/// The next hops FIB entries point at (grout's nexthop objects): id → kind, port, gateway, or
/// an ECMP group's redirection table. Ids are interned (every route via 192.0.2.1 on port 1
/// shares one id) and counted; an id whose last route went away is retired through the same
/// reader epochs as tbl8 groups, then goes to the back of a FIFO free list.
/// </summary>
/// <remarks>
/// Written only by the <see cref="Ipv4RouteTable"/> under its writer lock; read by lookups
/// without locks. An entry is written before anything links its id (a FIB entry, a group
/// slot: both release stores) and not changed while linked, so a reader never sees a
/// half-written next hop. The FIFO free list is what keeps an id in
/// <see cref="PacketMeta.NextHop"/> meaningful for stages after the lookup (which run outside
/// the lookup's reader batch): a retired id comes back only after every other free id has
/// been used.
/// </remarks>
public sealed unsafe class NextHopTable : IDisposable
{
    /// <summary>The id a lookup that found no route answers (kind <see cref="NextHopKind.None"/>).</summary>
    public const uint NoRoute = 0;

    /// <summary>The one blackhole next hop: every blackhole route points here.</summary>
    public const uint BlackholeId = 1;

    /// <summary>The one reject next hop: every reject route points here.</summary>
    public const uint RejectId = 2;

    private const int FirstDynamicId = 3;

    private readonly NextHop* _entries;
    private readonly int[] _references;
    private readonly Dictionary<(NextHopKind Kind, ushort Port, uint Gateway), uint> _interned = [];
    private readonly Dictionary<uint, EcmpGroup> _groups = [];
    private readonly Queue<uint> _free = new();
    private readonly Queue<(uint Id, long Epoch)> _limbo = new();
    private readonly ReaderEpochs _epochs;
    private bool _disposed;

    internal NextHopTable(int capacity, ReaderEpochs epochs)
    {
        if (capacity is < FirstDynamicId + 1 or > (int)Ipv4Fib.MaxNextHop)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"next hops: {FirstDynamicId + 1} to {Ipv4Fib.MaxNextHop}");
        }
        Capacity = capacity;
        _epochs = epochs;
        _entries = (NextHop*)NativeMemory.AlignedAlloc((nuint)capacity * NextHop.Size, 64);
        NativeMemory.Clear(_entries, (nuint)capacity * NextHop.Size);
        _entries[BlackholeId] = new NextHop(NextHopKind.Blackhole, 0, 0);
        _entries[RejectId] = new NextHop(NextHopKind.Reject, 0, 0);
        _references = new int[capacity];
        for (uint id = FirstDynamicId; id < capacity; id++)
        {
            _free.Enqueue(id);
        }
    }

    /// <summary>Ids the table holds, the three fixed ones included.</summary>
    public int Capacity { get; }

    /// <summary>Ids in use (linked or waiting for readers), the three fixed ones included.</summary>
    public int Count => Capacity - _free.Count;

    /// <summary>The next hop <paramref name="id"/> stands for (an id from a lookup or <see cref="PacketMeta.NextHop"/>).</summary>
    public ref readonly NextHop this[uint id]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (id >= (uint)Capacity)
            {
                ThrowIdOutOfRange(id);
            }
            return ref _entries[id];
        }
    }

    /// <summary>The entries for the data path: index without a bounds check (ids come from the table itself).</summary>
    internal NextHop* Entries => _entries;

    /// <summary>The id for (kind, port, gateway), made on first use; 0 when the table is full.</summary>
    internal uint Acquire(NextHopKind kind, ushort port, uint gateway)
    {
        switch (kind)
        {
            case NextHopKind.Blackhole:
                return BlackholeId;
            case NextHopKind.Reject:
                return RejectId;
            case NextHopKind.Via or NextHopKind.Connected or NextHopKind.Local:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "interned next hops are via, connected or local");
        }
        var key = (kind, port, kind == NextHopKind.Via ? gateway : 0);
        if (_interned.TryGetValue(key, out uint id))
        {
            _references[id]++;
            return id;
        }
        if (!TryTakeId(out id))
        {
            return 0;
        }
        _entries[id] = new NextHop(kind, port, key.Item3);
        _references[id] = 1;
        _interned.Add(key, id);
        return id;
    }

    /// <summary>A new ECMP group of 2^<paramref name="slotBits"/> slots over <paramref name="members"/>; 0 when ids run out.</summary>
    internal uint AddGroup(IReadOnlyList<EcmpMember> members, int slotBits)
    {
        if (!TryTakeId(out uint id))
        {
            return 0;
        }
        var group = new EcmpGroup(slotBits);
        if (!group.SetMembers(this, members))
        {
            group.Free();
            _free.Enqueue(id);
            return 0;
        }
        _entries[id] = new NextHop(NextHopKind.Multipath, 0, 0, group.Native, slotBits);
        _references[id] = 1;
        _groups.Add(id, group);
        return id;
    }

    /// <summary>
    /// Gives group <paramref name="id"/> new members, moving only the slots that must move
    /// (<see cref="EcmpRedirection"/>). False (group unchanged) when ids run out.
    /// </summary>
    internal bool SetGroupMembers(uint id, IReadOnlyList<EcmpMember> members) => _groups[id].SetMembers(this, members);

    internal int GroupSlotBits(uint id) => _groups[id].SlotBits;

    /// <summary>Drops one reference; the last one retires the id (and a group's members and slots).</summary>
    internal void Release(uint id)
    {
        if (id < FirstDynamicId)
        {
            return;
        }
        if (--_references[id] > 0)
        {
            return;
        }
        ref NextHop entry = ref _entries[id];
        if (entry.Kind == NextHopKind.Multipath)
        {
            _groups[id].ReleaseMembers(this);
        }
        else
        {
            _interned.Remove((entry.Kind, entry.Port, entry.Gateway));
        }
        _limbo.Enqueue((id, _epochs.Retire()));
    }

    /// <summary>Retired ids whose readers have all passed go back to the free list (a group's slots are freed).</summary>
    internal void Reclaim()
    {
        if (_limbo.Count == 0)
        {
            return;
        }
        long oldest = _epochs.OldestActive();
        while (_limbo.TryPeek(out (uint Id, long Epoch) item) && item.Epoch < oldest)
        {
            _limbo.Dequeue();
            if (_groups.Remove(item.Id, out EcmpGroup? group))
            {
                group.Free();
            }
            _entries[item.Id] = default;
            _free.Enqueue(item.Id);
        }
    }

    private bool TryTakeId(out uint id)
    {
        if (_free.Count == 0)
        {
            Reclaim();
        }
        return _free.TryDequeue(out id);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowIdOutOfRange(uint id) =>
        throw new ArgumentOutOfRangeException(nameof(id), id, $"next-hop ids are below {Capacity}");

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (EcmpGroup group in _groups.Values)
        {
            group.Free();
        }
        NativeMemory.AlignedFree(_entries);
    }

    /// <summary>An ECMP group's members (each an interned Via next hop) and its redirection table.</summary>
    private sealed class EcmpGroup
    {
        private uint[] _members = [];
        private readonly uint[] _slots;

        public EcmpGroup(int slotBits)
        {
            SlotBits = slotBits;
            _slots = new uint[1 << slotBits];
            Native = (uint*)NativeMemory.AlignedAlloc((nuint)(_slots.Length * sizeof(uint)), 64);
            NativeMemory.Clear(Native, (nuint)(_slots.Length * sizeof(uint)));
        }

        public int SlotBits { get; }

        public uint* Native { get; private set; }

        public bool SetMembers(NextHopTable table, IReadOnlyList<EcmpMember> members)
        {
            var ids = new uint[members.Count];
            var weights = new int[members.Count];
            for (int i = 0; i < members.Count; i++)
            {
                ids[i] = table.Acquire(NextHopKind.Via, members[i].Port, members[i].Gateway.Value.Host);
                weights[i] = members[i].Weight;
                if (ids[i] == 0)
                {
                    for (int j = 0; j < i; j++)
                    {
                        table.Release(ids[j]);
                    }
                    return false;
                }
            }
            EcmpRedirection.Rebalance(_slots, ids, weights);
            // Only changed slots are stored: a flow whose slot did not move keeps its path.
            for (int s = 0; s < _slots.Length; s++)
            {
                if (Native[s] != _slots[s])
                {
                    Volatile.Write(ref Native[s], _slots[s]);
                }
            }
            // Old members are released after the new slots are published, so a retired member
            // id is unreachable from the table before it is retired.
            foreach (uint old in _members)
            {
                table.Release(old);
            }
            _members = ids;
            return true;
        }

        public void ReleaseMembers(NextHopTable table)
        {
            foreach (uint member in _members)
            {
                table.Release(member);
            }
            _members = [];
        }

        public void Free()
        {
            if (Native != null)
            {
                NativeMemory.AlignedFree(Native);
                Native = null;
            }
        }
    }
}
