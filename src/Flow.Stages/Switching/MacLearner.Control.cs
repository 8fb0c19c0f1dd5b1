using Flow.Protocols.Ethernet;
using Flow.Stages.Switching.Internal;

namespace Flow.Stages.Switching;

// Control messages: run by the owning worker between batches (FlowGraph.InvokeAsync).
public sealed partial class MacLearner
{
    /// <summary>Entries in the table now.</summary>
    public int Count => _table.Count;

    /// <summary>
    /// Slots one <see cref="GetEntries"/> call reads at most, so that a control message costs
    /// the worker a bounded time whatever the table's size (security review L8): 64 Ki slots,
    /// half a MiB of keys read in order.
    /// </summary>
    public const int MaxSlotsPerRead = 64 * 1024;

    /// <summary>
    /// Up to <paramref name="maxEntries"/> entries (of <paramref name="vlan"/> and/or port id
    /// <paramref name="portId"/> when given) from the table's slots at and after
    /// <paramref name="start"/>, reading at most <see cref="MaxSlotsPerRead"/> slots; in table
    /// order, ages relative to the last tick. <see cref="MacTablePage.Next"/> is where to go on,
    /// null when the table's end was reached.
    /// </summary>
    public MacTablePage GetEntries(int start, int maxEntries, ushort? vlan = null, ushort? portId = null)
    {
        if (start < 0 || start > _table.Slots)
        {
            throw new SwitchConfigurationException($"start {start} is no slot of this table; it has slots 0 to {_table.Slots - 1}");
        }
        var entries = new List<MacEntry>(Math.Min(maxEntries, 1024));
        int end = (int)Math.Min(_table.Slots, (long)start + MaxSlotsPerRead);
        int slot = start;
        for (; slot < end && entries.Count < maxEntries; slot++)
        {
            ulong key = _table.KeyAt(slot);
            if (key == 0 || (vlan is not null && MacTable.VlanOf(key) != vlan) || (portId is not null && _table.PortAt(slot) != portId))
            {
                continue;
            }
            bool isStatic = _table.IsStaticAt(slot);
            TimeSpan age = isStatic ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(0, _now - _table.LastSeenAt(slot)) / 100);
            entries.Add(new MacEntry((ushort)MacTable.VlanOf(key), MacAddress.FromUInt64(MacTable.MacOf(key)), _table.PortAt(slot), isStatic, age));
        }
        return new MacTablePage(entries, slot < _table.Slots ? slot : null, _table.Count);
    }

    /// <summary>The port id <paramref name="mac"/> is known on in <paramref name="vlan"/>, or null.</summary>
    public ushort? Lookup(ushort vlan, MacAddress mac)
    {
        int slot = _table.Find(MacTable.Key(vlan, mac.ToUInt64()));
        return slot < 0 ? null : _table.PortAt(slot);
    }

    /// <summary>
    /// Removes dynamic entries — all, or those of <paramref name="vlan"/> and/or port id
    /// <paramref name="portId"/> — and returns how many. Static entries stay (remove them with
    /// <see cref="Remove"/>).
    /// </summary>
    public int Flush(ushort? vlan = null, ushort? portId = null)
    {
        if (vlan is ushort v && !SwitchPortTable.IsUsableVlan(v) && v != 0)
        {
            throw new SwitchConfigurationException($"VLAN {v} is out of range {SwitchPortTable.MinVlan} to {SwitchPortTable.MaxVlan}");
        }
        RequireWriter();
        int removed = 0;
        for (int slot = 0; slot < _table.Slots; slot++)
        {
            ulong key = _table.KeyAt(slot);
            if (key != 0 && !_table.IsStaticAt(slot) &&
                (vlan is null || MacTable.VlanOf(key) == vlan) && (portId is null || _table.PortAt(slot) == portId))
            {
                _table.RemoveAt(slot);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>
    /// Places <paramref name="mac"/> in <paramref name="vlan"/> on port id <paramref name="portId"/>
    /// for good: it never ages and never moves. Replaces a dynamic entry for the address.
    /// Throws <see cref="SwitchConfigurationException"/> naming a bad VLAN, a group address or a
    /// full table.
    /// </summary>
    public void AddStatic(ushort vlan, MacAddress mac, ushort portId)
    {
        var errors = new List<string>();
        if (!SwitchPortTable.IsUsableVlan(vlan) && vlan != 0)
        {
            errors.Add($"VLAN {vlan} is out of range {SwitchPortTable.MinVlan} to {SwitchPortTable.MaxVlan}");
        }
        if (mac.IsMulticast)
        {
            errors.Add($"MAC {mac} is a group address; only unicast addresses are learned or placed");
        }
        if (errors.Count > 0)
        {
            throw new SwitchConfigurationException(errors);
        }
        RequireWriter();
        ulong key = MacTable.Key(vlan, mac.ToUInt64());
        int slot = _table.Find(key);
        if (slot >= 0)
        {
            _table.RemoveAt(slot);
        }
        if (_table.Insert(key, portId, _now, isStatic: true, evictOldest: true, out bool evicted) < 0)
        {
            throw new SwitchConfigurationException(
                $"MAC {mac} in VLAN {vlan}: the table has no room ({_table.Count} of {_table.MaxEntries} entries, none in its bucket can give way)");
        }
        if (evicted)
        {
            _evictions++;
        }
    }

    /// <summary>Removes the entry (static or dynamic) for <paramref name="mac"/> in <paramref name="vlan"/>; false when there is none.</summary>
    public bool Remove(ushort vlan, MacAddress mac)
    {
        RequireWriter();
        int slot = _table.Find(MacTable.Key(vlan, mac.ToUInt64()));
        if (slot < 0)
        {
            return false;
        }
        _table.RemoveAt(slot);
        return true;
    }

    /// <summary>The table, for tests that need addresses sharing a bucket.</summary>
    internal MacTable Table => _table;

    /// <summary>This copy's counters; the table's entries are counted by the copy that writes it (a reader copy says 0, so that copies add up).</summary>
    public MacLearnerCounters GetCounters() =>
        new(_writer is null ? _table.Count : 0, _learned, _moves, _staticConflicts, _overflows, _evictions, _aged, _hits, _misses, _portLimited, _vlanLimited,
            _handedOff, _handOffsDropped);
}
