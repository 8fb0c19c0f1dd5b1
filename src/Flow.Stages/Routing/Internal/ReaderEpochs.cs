using System.Runtime.InteropServices;

namespace Flow.Stages.Routing.Internal;

/// <summary>
/// Epoch-based reclamation for the FIB's readers (Fraser's EBR; the role DPDK's
/// <c>rte_rcu_qsbr</c> plays for <c>rte_lpm</c> tbl8 groups).
/// </summary>
/// <remarks>
/// Design: each reader owns one slot, a cache line of its own. A reader is inside a batch
/// between <see cref="FibReader.Enter"/> and <see cref="FibReader.Exit"/>; its slot then holds
/// <c>(epoch &lt;&lt; 1) | 1</c>, the global epoch it read on entry, and 0 between batches.
/// The writer unlinks a piece of memory (a tbl8 group, a next hop), then <see cref="Retire"/>
/// tags it with the current epoch E and advances the global epoch to E + 1. The memory may be
/// reused once <see cref="OldestActive"/> &gt; E: every reader inside a batch entered after the
/// advance and so read the table after the unlink.
/// Ordering: the reader's slot store and the writer's advance are both full fences
/// (<c>Interlocked</c>), so for a reader entering while the writer checks, either the writer sees
/// the slot or the reader's table reads see the unlink (the Dekker pattern). A reader that is
/// idle (no traffic) holds 0 and never delays reclamation — why Flow uses online/offline per
/// batch rather than QSBR's "report a quiescent state now and then", which stalls the writer
/// behind an idle worker. Cost: one locked exchange per batch per reader (~20 cycles on x86,
/// under a cycle per packet at bursts of 32).
/// Slots are 128 bytes apart: two adjacent lines are fetched together on x86 (spatial
/// prefetcher) and ARM64 lines can be 128 bytes.
/// </remarks>
internal sealed unsafe class ReaderEpochs : IDisposable
{
    internal const int SlotStride = 128;

    private readonly byte* _slots;
    private readonly bool[] _used;
    private readonly object _registration = new();
    private long _epoch = 1;
    private bool _disposed;

    public ReaderEpochs(int maxReaders)
    {
        if (maxReaders is < 1 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(maxReaders), maxReaders, "readers: 1 to 4096");
        }
        MaxReaders = maxReaders;
        _slots = (byte*)NativeMemory.AlignedAlloc((nuint)(maxReaders * SlotStride), SlotStride);
        NativeMemory.Clear(_slots, (nuint)(maxReaders * SlotStride));
        _used = new bool[maxReaders];
    }

    public int MaxReaders { get; }

    /// <summary>The epoch readers entering now record.</summary>
    public long Current => Volatile.Read(ref _epoch);

    internal ref long EpochRef => ref _epoch;

    /// <summary>A free slot for a new reader, or throws when all are taken.</summary>
    public long* Register()
    {
        lock (_registration)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (int i = 0; i < _used.Length; i++)
            {
                if (!_used[i])
                {
                    _used[i] = true;
                    long* slot = (long*)(_slots + (i * SlotStride));
                    Volatile.Write(ref *slot, 0);
                    return slot;
                }
            }
        }
        throw new InvalidOperationException($"all {MaxReaders} FIB reader slots are taken; raise MaxReaders");
    }

    public void Release(long* slot)
    {
        lock (_registration)
        {
            if (_disposed)
            {
                return;
            }
            Volatile.Write(ref *slot, 0);
            _used[(int)(((byte*)slot - _slots) / SlotStride)] = false;
        }
    }

    /// <summary>
    /// Called by the writer after it unlinked memory: returns the tag E for that memory and
    /// advances the global epoch (a full fence: the unlink is visible before the advance).
    /// </summary>
    public long Retire() => Interlocked.Increment(ref _epoch) - 1;

    /// <summary>The smallest epoch a reader inside a batch entered with, or <see cref="long.MaxValue"/> when none is inside.</summary>
    public long OldestActive()
    {
        // Full fence: the writer's earlier unlink stores are ordered before these slot reads.
        Interlocked.MemoryBarrier();
        long oldest = long.MaxValue;
        for (int i = 0; i < MaxReaders; i++)
        {
            long value = Volatile.Read(ref *(long*)(_slots + (i * SlotStride)));
            if ((value & 1) != 0)
            {
                oldest = Math.Min(oldest, value >> 1);
            }
        }
        return oldest;
    }

    public void Dispose()
    {
        lock (_registration)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            NativeMemory.AlignedFree(_slots);
        }
    }
}
