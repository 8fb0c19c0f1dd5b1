using System.Runtime.CompilerServices;
using Flow.Stages.Switching.Internal;

namespace Flow.Stages.Switching;

// The copies of a sharded learner (IShardedStage) share one table: one logical switch, so a
// station learned on any shard is known to all. The copy that made the table (shard 0's) is its
// one writer; the others read it without locks (MacTable's per-bucket sequence numbers) and
// hand what they would learn — a new address, a move — to the writer through a ring of their
// own, which the writer applies at its next batch or tick. Until then frames to the address
// flood, as to any unknown address, and the hand-offs are counted (HandedOff, and
// HandOffsDropped when a copy's ring is full: the next frame from the address asks again). A
// copy asks for a station once a tick at most, not once a batch.
// Refreshes are time stamps, not changes to an entry: each copy stores its own (when the
// stored one is a millisecond old or more), and the writer's aging reads them.
public sealed partial class MacLearner : IShardedStage
{
    /// <summary>Learn requests a copy may have waiting for the writer.</summary>
    public const int HandOffCapacity = 1024;

    /// <summary>Requests the writer takes from each copy's ring per batch or tick at most, so that a flood of new addresses on other shards cannot stall its own.</summary>
    public const int MaxHandOffsPerDrain = 256;

    /// <summary>Stations a reader copy remembers having handed over, so it asks once a tick, not once a batch (direct-mapped by key).</summary>
    private const int RecentHandOffs = 64;

    private readonly MacLearner? _writer;                     // null: this copy writes the table
    private readonly SpscRing<MacLearnRequest>? _outbox;      // a reader copy's ring to the writer
    private readonly (MacLearnRequest Request, long At)[]? _recent;  // a reader copy's last hand-off per slot, and its tick
    private SpscRing<MacLearnRequest>?[]? _inboxes;          // the writer's, one per shard (its own null)
    private long _handedOff;
    private long _handOffsDropped;

    private MacLearner(MacLearner writer, SpscRing<MacLearnRequest> outbox)
    {
        _table = writer._table;
        _maxEntries = writer._maxEntries;
        _writer = writer;
        _outbox = outbox;
        _recent = new (MacLearnRequest, long)[RecentHandOffs];
        _portLimit = writer._portLimit;
        _vlanLimit = writer._vlanLimit;
        _overflow = writer._overflow;
        _agingNanoseconds = writer._agingNanoseconds;
        _scanIntervalNanoseconds = writer._scanIntervalNanoseconds;
    }

    /// <summary>The copy that writes the table this one reads: itself unless it was made by <see cref="CopyForShard"/>.</summary>
    public MacLearner TableWriter => _writer ?? this;

    /// <summary>A copy for shard <paramref name="shard"/> that reads this learner's table and hands its learning to this one.</summary>
    public Stage CopyForShard(int shard, int count)
    {
        if (_writer is not null)
        {
            throw new InvalidOperationException("a copy of a sharded mac_learner makes no copies; ask the copy that writes the table (shard 0's)");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(shard, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, count);
        _inboxes ??= new SpscRing<MacLearnRequest>?[count];
        if (_inboxes.Length != count || _inboxes[shard] is not null)
        {
            throw new InvalidOperationException(_inboxes.Length != count
                ? $"this learner's copies are for {_inboxes.Length} shards, not {count}"
                : $"shard {shard} already has a copy of this learner");
        }
        _table.EnableConcurrentReaders();
        var ring = new SpscRing<MacLearnRequest>(HandOffCapacity);
        _inboxes[shard] = ring;
        return new MacLearner(this, ring);
    }

    /// <summary>
    /// A reader copy's learning: refreshes an entry it finds on the port, counts a static
    /// conflict, and hands anything else to the writer. Cached by the caller for the rest of the
    /// batch either way; the next batch asks again if the writer has not applied it yet.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Learned HandToWriter(MacTable table, ulong key, ushort port, long now)
    {
        if (table.TryLookupConcurrent(key, out int slot, out ushort known))
        {
            if (known == port)
            {
                // A removal racing this store lends the time to the slot's next entry, which then
                // ages one aging time later at most.
                table.Refresh(slot, now);
                return Learned.Refreshed;
            }
            if (table.IsStaticAt(slot))
            {
                _staticConflicts++;
                return Learned.Refused;
            }
        }
        // Asked already this tick: the writer has it queued (a writer that has not run since
        // would otherwise get the same station from every batch, and the ring would fill).
        var request = new MacLearnRequest(key, port);
        int recent = (int)((key * 0x9E3779B97F4A7C15UL) >> 58);
        if (_recent![recent] == (request, now))
        {
            return Learned.Refreshed;
        }
        SpscRing<MacLearnRequest> ring = _outbox!;
        if (ring.Reserve(1, out long position) == 1)
        {
            ring.Slot(position) = request;
            ring.Submit(1);
            _handedOff++;
            _recent[recent] = (request, now);
        }
        else
        {
            _handOffsDropped++;
        }
        return Learned.Refreshed;
    }

    /// <summary>The writer applies what the other copies handed it, as if it had seen the frames itself.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ApplyHandOffs(SpscRing<MacLearnRequest>?[] inboxes)
    {
        bool evict = _overflow == MacTableOverflow.ReplaceOldest;
        foreach (SpscRing<MacLearnRequest>? ring in inboxes)
        {
            if (ring is null)
            {
                continue;
            }
            int count = ring.Peek(MaxHandOffsPerDrain, out long position);
            for (int i = 0; i < count; i++)
            {
                MacLearnRequest request = ring.Slot(position + i);
                Learn(_table, request.Key, request.Port, _now, evict);
            }
            if (count > 0)
            {
                ring.Release(count);
            }
        }
    }

    /// <summary>Table changes come only from the writer's worker: a control message to a reader copy is refused.</summary>
    private void RequireWriter()
    {
        if (_writer is not null)
        {
            throw new SwitchConfigurationException(
                "this mac_learner is a shard's copy that reads a table another copy writes; send table changes to that copy (SwitchControl does)");
        }
    }
}
