using System.Runtime.CompilerServices;
using Flow.Stages.Switching.Internal;

namespace Flow.Stages.Switching;

/// <summary>
/// MAC learning and lookup of a VLAN-aware switch (IEEE 802.1Q-2018 8.7 learning, 8.8
/// filtering database): for each frame, learns (VLAN, source MAC) → the input-port id it
/// arrived on, then looks up (VLAN, destination MAC) and writes the result into
/// <see cref="PacketMeta.NextHop"/>: the destination's input-port id, or <see cref="Flood"/>
/// for group addresses and unknown unicast. The <see cref="L2Forwarder"/> acts on it.
/// </summary>
/// <remarks>
/// Output <c>resolved</c>: every frame, destination in <see cref="PacketMeta.NextHop"/>.
/// Drop <c>runt</c>: shorter than an Ethernet header (only without a classifier before it).
/// The VLAN is <see cref="PacketMeta.VlanTci"/>'s id when <see cref="PacketFlags.VlanStripped"/>
/// is set (a <c>vlan_classifier</c> ran), else 0 (one shared table).
/// Batch semantics: learning and lookup happen per frame in order, so a frame's lookup sees
/// every address learned from the frames before it in the same batch.
/// A known address seen on another port moves there (counted as a move) unless its entry is
/// static, which stays (counted as a static conflict). Group source addresses are never
/// learned. With <see cref="MacLearnerOptions.MaxEntriesPerPort"/> or
/// <see cref="MacLearnerOptions.MaxEntriesPerVlan"/>, a port or VLAN at its limit learns no new
/// address (and no address moves onto a port at its limit): counted as port or VLAN limited,
/// frames to the address flood.
/// Aging runs in <see cref="Tick"/>: dynamic entries not seen for
/// <see cref="MacLearnerOptions.AgingTime"/> are removed. The table is swept a slice per tick,
/// in proportion to the time since the last tick, so that every slot is checked once per scan
/// interval (an eighth of the aging time, at most a second); a tick checks at most
/// <see cref="MaxSweepSlotsPerTick"/> slots, so with a large table and rare ticks a sweep takes
/// longer (security review L8: a whole sweep of 2^25 slots in one tick stalled the worker for
/// milliseconds).
/// Learning stamps entries with the time of the last tick.
/// </remarks>
[Stage("mac_learner", "Switch MAC table: learns source addresses per VLAN and resolves destinations; ages entries.",
    Accepts = typeof(Carries.Ethernet))]
public sealed partial class MacLearner : Stage<MacLearner.Output, MacLearner.Reason>
{
    /// <summary><see cref="PacketMeta.NextHop"/> for frames that must flood (group or unknown destination).</summary>
    public const uint Flood = uint.MaxValue;

    /// <summary>
    /// Slots one tick checks for aging at most: the default table's 2 × 8192 slots in one tick
    /// (128 KiB of keys read in order), a larger table over several.
    /// </summary>
    public const int MaxSweepSlotsPerTick = 16 * 1024;

    private const long MaxScanIntervalNanoseconds = 1_000_000_000;

    private readonly MacTable _table;
    // Options a reload may change live (MacLearner.Reconfigure.cs).
    private MacTableOverflow _overflow;
    private long _agingNanoseconds;
    private long _scanIntervalNanoseconds;
    private int _portLimit;    // 0: none
    private int _vlanLimit;    // 0: none
    private long _now;
    private long _lastTick;
    private long _sweepCredit;          // slots owed to the sweep, times the scan interval
    private int _sweepCursor;           // next slot the sweep checks

    // Worker-owned counters; read through the control mailbox.
    private long _learned;
    private long _moves;
    private long _staticConflicts;
    private long _overflows;
    private long _evictions;
    private long _portLimited;
    private long _vlanLimited;
    private long _aged;
    private long _hits;
    private long _misses;

    public MacLearner(MacLearnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.MaxEntries is < 1 or > 1 << 24)
        {
            errors.Add($"MaxEntries {options.MaxEntries} is out of range 1 to {1 << 24}");
        }
        if (options.AgingTime < TimeSpan.Zero)
        {
            errors.Add($"AgingTime {options.AgingTime} is negative; use zero for entries that never age");
        }
        if (!Enum.IsDefined(options.Overflow))
        {
            errors.Add($"Overflow {(int)options.Overflow} is neither keep_existing nor replace_oldest");
        }
        if (options.MaxEntriesPerPort < 0)
        {
            errors.Add($"MaxEntriesPerPort {options.MaxEntriesPerPort} is negative; use zero for no limit");
        }
        if (options.MaxEntriesPerVlan < 0)
        {
            errors.Add($"MaxEntriesPerVlan {options.MaxEntriesPerVlan} is negative; use zero for no limit");
        }
        if (errors.Count > 0)
        {
            throw new SwitchConfigurationException(errors);
        }
        _portLimit = options.MaxEntriesPerPort;
        _vlanLimit = options.MaxEntriesPerVlan;
        _table = new MacTable(options.MaxEntries, countByPort: _portLimit != 0, countByVlan: _vlanLimit != 0);
        _maxEntries = options.MaxEntries;
        UseLiveOptions(options);
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "every frame, its destination's input-port id (or Flood) in NextHop")]
        Resolved,
    }

    public enum Reason : byte
    {
        [DropReason("frame shorter than an Ethernet header")]
        Runt,
    }

    public override unsafe void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        if (_inboxes is { } inboxes)
        {
            ApplyHandOffs(inboxes);
        }
        MacTable table = _table;
        bool evict = _overflow == MacTableOverflow.ReplaceOldest;
        long now = _now;
        long hits = 0;
        long misses = 0;
        // Frames of a batch mostly repeat the previous frame's addresses (one flow, one burst):
        // the last source learned and the last destination resolved are reused without a
        // lookup (VPP's l2-learn keeps the same one-entry cache). Key 0 is never a valid key.
        ulong lastSource = 0;
        ushort lastSourcePort = 0;
        ulong lastDestination = 0;
        uint lastHop = Flood;
        // Every frame but a runt goes on: one fill, then the exceptions (Stage.Process's remarks).
        nexts.Slice(0, packets.Length).Fill(To(Output.Resolved));
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            ref PacketMeta meta = ref packet.Meta;
            if (meta.Length < 14)
            {
                nexts[i] = Drop(Reason.Runt);
                continue;
            }
            byte* data = packet.DataPointer;
            int vlan = (meta.Flags & PacketFlags.VlanStripped) != 0 ? meta.VlanTci & 0x0FFF : 0;
            if ((data[6] & 1) == 0)
            {
                ulong source = MacTable.Key(vlan, ReadMac(data + 6));
                if (source != lastSource || meta.InputPort != lastSourcePort)
                {
                    Learned learned = Learn(table, source, meta.InputPort, now, evict);
                    if (learned == Learned.Changed)
                    {
                        lastDestination = 0; // the table changed: the cached destination may be stale
                    }
                    // A refused source (static conflict, full table) is not cached: each frame counts.
                    lastSource = learned == Learned.Refused ? 0 : source;
                    lastSourcePort = meta.InputPort;
                }
            }
            if ((data[0] & 1) != 0)
            {
                meta.NextHop = Flood;
            }
            else
            {
                ulong destination = MacTable.Key(vlan, ReadMac(data));
                if (destination != lastDestination)
                {
                    lastHop = Resolve(table, destination);
                    lastDestination = destination;
                }
                meta.NextHop = lastHop;
                if (lastHop != Flood)
                {
                    hits++;
                }
                else
                {
                    misses++;
                }
            }
        }
        // Counted in locals and added once: a field increment per packet is a store-to-load chain.
        _hits += hits;
        _misses += misses;
    }

    private enum Learned : byte
    {
        /// <summary>Known on this port: refreshed (or static), lookups unchanged.</summary>
        Refreshed,
        /// <summary>Added, moved or evicting another: lookups may now differ.</summary>
        Changed,
        /// <summary>Not learned: a static entry elsewhere, a full table, a port or VLAN at its limit (counted).</summary>
        Refused,
    }

    /// <summary>The destination's port id, or <see cref="Flood"/>. Out of line, like <see cref="Learn"/>: the loop reuses the last answer.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private uint Resolve(MacTable table, ulong key)
    {
        if (_writer is not null)
        {
            return table.TryLookupConcurrent(key, out _, out ushort port) ? port : Flood;
        }
        int slot = table.Find(key);
        return slot >= 0 ? table.PortAt(slot) : Flood;
    }

    /// <summary>
    /// Learns or refreshes one source (VPP l2learn_process: refresh is the common case, kept
    /// first). Out of line: with the per-batch reuse it runs about once a batch, and inlined its
    /// vector lookup would crowd the loop's registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Learned Learn(MacTable table, ulong key, ushort port, long now, bool evict)
    {
        if (_outbox is not null)
        {
            return HandToWriter(table, key, port, now);
        }
        int slot = table.Find(key);
        if (slot >= 0)
        {
            if (table.PortAt(slot) == port)
            {
                table.Refresh(slot, now);
                return Learned.Refreshed;
            }
            return LearnMoved(table, slot, port, now);
        }
        return LearnNew(table, key, port, now, evict);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Learned LearnMoved(MacTable table, int slot, ushort port, long now)
    {
        if (table.IsStaticAt(slot))
        {
            _staticConflicts++;
            return Learned.Refused;
        }
        // A move adds an entry to the port as much as a new address does.
        if (_portLimit != 0 && table.DynamicOnPort(port) >= _portLimit)
        {
            _portLimited++;
            return Learned.Refused;
        }
        table.Move(slot, port, now);
        _moves++;
        return Learned.Changed;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Learned LearnNew(MacTable table, ulong key, ushort port, long now, bool evict)
    {
        if (_portLimit != 0 && table.DynamicOnPort(port) >= _portLimit)
        {
            _portLimited++;
            return Learned.Refused;
        }
        if (_vlanLimit != 0 && table.DynamicInVlan(MacTable.VlanOf(key)) >= _vlanLimit)
        {
            _vlanLimited++;
            return Learned.Refused;
        }
        if (table.Insert(key, port, now, isStatic: false, evict, out bool evicted) < 0)
        {
            _overflows++;
            return Learned.Refused;
        }
        _learned++;
        if (evicted)
        {
            _evictions++;
        }
        return Learned.Changed;
    }

    /// <summary>
    /// Remembers the time for learning and checks the next slice of the table for dynamic
    /// entries idle for the aging time: the share of the table that the time since the last
    /// tick is of the scan interval, at most <see cref="MaxSweepSlotsPerTick"/>.
    /// </summary>
    public override void Tick(long nowNanoseconds)
    {
        long elapsed = Math.Clamp(nowNanoseconds - _lastTick, 0, _scanIntervalNanoseconds);
        _now = nowNanoseconds;
        _lastTick = nowNanoseconds;
        if (_inboxes is { } inboxes)
        {
            ApplyHandOffs(inboxes);
        }
        if (_agingNanoseconds == 0 || _writer is not null)
        {
            return;
        }
        MacTable table = _table;
        int slots = table.Slots;
        // Credit in slot-nanoseconds, so that ticks much shorter than an interval still add up
        // to whole slots; never more than one sweep is owed (elapsed ≤ 1 s and slots ≤ 2^25: no overflow).
        long fullSweep = (long)slots * _scanIntervalNanoseconds;
        _sweepCredit = Math.Min(_sweepCredit + (elapsed * slots), fullSweep);
        int due = (int)Math.Min(_sweepCredit / _scanIntervalNanoseconds, MaxSweepSlotsPerTick);
        _sweepCredit -= due * _scanIntervalNanoseconds;
        int slot = _sweepCursor;
        long aged = 0;
        for (int i = 0; i < due; i++)
        {
            if (table.KeyAt(slot) != 0 && !table.IsStaticAt(slot) && nowNanoseconds - table.LastSeenAt(slot) >= _agingNanoseconds)
            {
                table.RemoveAt(slot);
                aged++;
            }
            slot = slot + 1 == slots ? 0 : slot + 1;
        }
        _sweepCursor = slot;
        _aged += aged;
    }

    /// <summary>The 6 MAC bytes as a 48-bit number (wire bytes in little-endian order: only equality matters).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe ulong ReadMac(byte* mac) =>
        Unsafe.ReadUnaligned<uint>(mac) | ((ulong)Unsafe.ReadUnaligned<ushort>(mac + 4) << 32);
}
