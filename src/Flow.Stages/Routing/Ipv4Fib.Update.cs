using System.Diagnostics;

namespace Flow.Stages.Routing;

/// <summary>The writer side: add, replace, delete, the RIB, tbl8 groups and their reclamation.</summary>
public sealed unsafe partial class Ipv4Fib
{
    // Writer state; every method below holds _writer, so the FIB has exactly one writer at a
    // time whatever thread calls (the control path: no lock is ever taken by a lookup).
    private readonly object _writer = new();

    // RIB: per prefix length, network address → next-hop id (rte_lpm keeps rules per depth for
    // the same reason: a delete must find the next shorter covering prefix).
    private readonly Dictionary<uint, uint>[] _rules = CreateRules();
    private readonly int[] _freeGroups;
    private readonly Queue<(int Group, long Epoch)> _limbo = new();
    private int _freeCount;
    private int _routes;
    private long _tbl8Exhausted;
    private long _groupsReclaimed;

    /// <summary>Prefixes in the table.</summary>
    public int Count => Volatile.Read(ref _routes);

    /// <summary>Adds that failed because no tbl8 group was free (<see cref="FibStatus.Tbl8Exhausted"/>).</summary>
    public long Tbl8Exhausted => Volatile.Read(ref _tbl8Exhausted);

    /// <summary>tbl8 groups linked into the table or waiting for readers before reuse.</summary>
    public int Tbl8GroupsInUse
    {
        get
        {
            lock (_writer)
            {
                return Tbl8Groups - _freeCount;
            }
        }
    }

    /// <summary>tbl8 groups returned to the free list after every reader passed (reuse is safe from then on).</summary>
    public long Tbl8GroupsReclaimed => Volatile.Read(ref _groupsReclaimed);

    /// <summary>
    /// Adds <paramref name="prefix"/> → <paramref name="nextHop"/> (1 to <see cref="MaxNextHop"/>),
    /// or replaces the next hop of a prefix already there. Longer prefixes inside it keep
    /// their ranges. On any failure the table is unchanged.
    /// </summary>
    public FibStatus Add(Ipv4Prefix prefix, uint nextHop)
    {
        if (nextHop is 0 or > MaxNextHop)
        {
            throw new ArgumentOutOfRangeException(nameof(nextHop), nextHop, $"a next-hop id is 1 to {MaxNextHop}");
        }
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ReclaimLocked();
            Dictionary<uint, uint> rules = _rules[prefix.Length];
            bool exists = rules.TryGetValue(prefix.Address, out uint old);
            if (exists && old == nextHop)
            {
                return FibStatus.Unchanged;
            }
            if (!exists && _routes >= MaxRoutes)
            {
                return FibStatus.TableFull;
            }
            uint entry = EntryOf(nextHop, prefix.Length);
            if (prefix.Length <= 24)
            {
                WriteShort(prefix, entry);
            }
            else if (!WriteLong(prefix, entry))
            {
                _tbl8Exhausted++;
                return FibStatus.Tbl8Exhausted;
            }
            rules[prefix.Address] = nextHop;
            if (!exists)
            {
                Volatile.Write(ref _routes, _routes + 1);
            }
            return exists ? FibStatus.Replaced : FibStatus.Added;
        }
    }

    /// <summary>
    /// Removes <paramref name="prefix"/>; its range falls back to the longest shorter prefix
    /// covering it (or no route). A group left with no prefix longer than /24 is unlinked and
    /// freed once readers have passed.
    /// </summary>
    public FibStatus Delete(Ipv4Prefix prefix)
    {
        lock (_writer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ReclaimLocked();
            if (!_rules[prefix.Length].Remove(prefix.Address))
            {
                return FibStatus.NotFound;
            }
            uint replacement = CoveringEntry(prefix);
            if (prefix.Length <= 24)
            {
                RestoreShort(prefix, replacement);
            }
            else
            {
                RestoreLong(prefix, replacement);
            }
            Volatile.Write(ref _routes, _routes - 1);
            return FibStatus.Deleted;
        }
    }

    /// <summary>The next hop the RIB holds for exactly <paramref name="prefix"/>.</summary>
    public bool TryGet(Ipv4Prefix prefix, out uint nextHop)
    {
        lock (_writer)
        {
            return _rules[prefix.Length].TryGetValue(prefix.Address, out nextHop);
        }
    }

    /// <summary>Every prefix with its next hop, shortest first then by address (a copy: the control path's <c>route show</c>).</summary>
    public List<(Ipv4Prefix Prefix, uint NextHop)> GetRoutes()
    {
        lock (_writer)
        {
            var routes = new List<(Ipv4Prefix, uint)>(_routes);
            for (int length = 0; length <= 32; length++)
            {
                int start = routes.Count;
                foreach (KeyValuePair<uint, uint> rule in _rules[length])
                {
                    routes.Add((new Ipv4Prefix(rule.Key, length), rule.Value));
                }
                routes.Sort(start, routes.Count - start, Comparer<(Ipv4Prefix, uint)>.Create(static (a, b) => a.Item1.Address.CompareTo(b.Item1.Address)));
            }
            return routes;
        }
    }

    /// <summary>
    /// Returns unlinked tbl8 groups whose readers have all passed to the free list. Updates do
    /// this themselves; a control loop may call it when idle so groups come back sooner.
    /// </summary>
    public void Reclaim()
    {
        lock (_writer)
        {
            ReclaimLocked();
        }
    }

    private static Dictionary<uint, uint>[] CreateRules()
    {
        var rules = new Dictionary<uint, uint>[33];
        for (int i = 0; i < rules.Length; i++)
        {
            rules[i] = [];
        }
        return rules;
    }

    private static uint EntryOf(uint nextHop, int depth) => nextHop | ((uint)depth << DepthShift);

    private static int DepthOf(uint entry) => (int)(entry >> DepthShift) & 0x3F;

    /// <summary>Writer stores: release, so whatever the writer wrote before (a filled group) is visible first.</summary>
    private static void Store(uint* slot, uint value) => Volatile.Write(ref *slot, value);

    private uint* Group(uint extendedEntry) => _tbl8 + ((extendedEntry & ValueMask) << 8);

    /// <summary>The entry of the longest prefix shorter than <paramref name="prefix"/> that covers it, or 0.</summary>
    private uint CoveringEntry(Ipv4Prefix prefix)
    {
        for (int length = prefix.Length - 1; length >= 0; length--)
        {
            if (_rules[length].TryGetValue(prefix.Address & Ipv4Prefix.MaskOf(length), out uint nextHop))
            {
                return EntryOf(nextHop, length);
            }
        }
        return 0;
    }

    /// <summary>/0–/24: every entry of the range written by a prefix no longer than this one, in tbl24 or its groups.</summary>
    private void WriteShort(Ipv4Prefix prefix, uint entry)
    {
        int depth = prefix.Length;
        uint first = prefix.Address >> 8;
        uint end = first + (1u << (24 - depth));
        for (uint i = first; i < end; i++)
        {
            uint current = _tbl24[i];
            if ((current & Extended) == 0)
            {
                // An invalid entry is 0: depth 0, so it is overwritten too.
                if (DepthOf(current) <= depth)
                {
                    Store(_tbl24 + i, entry);
                }
                continue;
            }
            uint* group = Group(current);
            for (int j = 0; j < 256; j++)
            {
                if (DepthOf(group[j]) <= depth)
                {
                    Store(group + j, entry);
                }
            }
        }
    }

    /// <summary>/25–/32: the range inside its /24's group, made first when the /24 has none. False: no group free.</summary>
    private bool WriteLong(Ipv4Prefix prefix, uint entry)
    {
        int depth = prefix.Length;
        uint index = prefix.Address >> 8;
        int low = (int)(prefix.Address & 0xFF);
        int end = low + (1 << (32 - depth));
        uint current = _tbl24[index];
        if ((current & Extended) != 0)
        {
            uint* linked = Group(current);
            for (int j = low; j < end; j++)
            {
                if (DepthOf(linked[j]) <= depth)
                {
                    Store(linked + j, entry);
                }
            }
            return true;
        }
        int groupIndex = AllocateGroup();
        if (groupIndex < 0)
        {
            return false;
        }
        uint* group = _tbl8 + ((uint)groupIndex << 8);
        // The group inherits the /24's answer (a prefix of at most /24 or nothing), then the
        // new range; all of it before the link below makes it reachable.
        for (int j = 0; j < 256; j++)
        {
            group[j] = j >= low && j < end ? entry : current;
        }
        Store(_tbl24 + index, Extended | (uint)groupIndex);
        return true;
    }

    /// <summary>Delete of /0–/24: its own entries (depth equal) take the covering prefix's entry.</summary>
    private void RestoreShort(Ipv4Prefix prefix, uint replacement)
    {
        int depth = prefix.Length;
        uint first = prefix.Address >> 8;
        uint end = first + (1u << (24 - depth));
        for (uint i = first; i < end; i++)
        {
            uint current = _tbl24[i];
            if ((current & Extended) == 0)
            {
                if (current != 0 && DepthOf(current) == depth)
                {
                    Store(_tbl24 + i, replacement);
                }
                continue;
            }
            uint* group = Group(current);
            for (int j = 0; j < 256; j++)
            {
                if (group[j] != 0 && DepthOf(group[j]) == depth)
                {
                    Store(group + j, replacement);
                }
            }
        }
    }

    /// <summary>Delete of /25–/32: restore inside the group, then unlink the group if no longer prefix is left in it.</summary>
    private void RestoreLong(Ipv4Prefix prefix, uint replacement)
    {
        int depth = prefix.Length;
        uint index = prefix.Address >> 8;
        uint current = _tbl24[index];
        Debug.Assert((current & Extended) != 0, "a prefix longer than /24 in the RIB has a group");
        uint* group = Group(current);
        int low = (int)(prefix.Address & 0xFF);
        int end = low + (1 << (32 - depth));
        for (int j = low; j < end; j++)
        {
            if (DepthOf(group[j]) == depth)
            {
                Store(group + j, replacement);
            }
        }
        for (int j = 0; j < 256; j++)
        {
            if (DepthOf(group[j]) > 24)
            {
                return;
            }
        }
        // Only the /24's own answer is left, the same in all 256 entries: it goes back into
        // tbl24 and the group waits in limbo until every reader that may hold it has passed.
        Store(_tbl24 + index, group[0]);
        _limbo.Enqueue(((int)(current & ValueMask), _epochs.Retire()));
    }

    private int AllocateGroup()
    {
        if (_freeCount == 0)
        {
            ReclaimLocked();
            if (_freeCount == 0)
            {
                return -1;
            }
        }
        return _freeGroups[--_freeCount];
    }

    private void ReclaimLocked()
    {
        if (_limbo.Count == 0)
        {
            return;
        }
        long oldest = _epochs.OldestActive();
        long reclaimed = 0;
        while (_limbo.TryPeek(out (int Group, long Epoch) item) && item.Epoch < oldest)
        {
            _limbo.Dequeue();
            _freeGroups[_freeCount++] = item.Group;
            reclaimed++;
        }
        Volatile.Write(ref _groupsReclaimed, _groupsReclaimed + reclaimed);
    }
}
