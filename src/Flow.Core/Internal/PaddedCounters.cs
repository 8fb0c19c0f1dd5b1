using System.Runtime.InteropServices;

namespace Flow.Internal;

// Fields written on every batch or pass live inside these structs, a cache line of padding on
// each side, so objects of different workers that the allocator placed next to each other never
// share a line with them. Without it a two-worker pipeline ran at a fifth of one worker's
// rate on our VMs: each pass paid several cross-core line transfers of ~1 µs for counters.

/// <summary>A batch's packet count, alone on its line.</summary>
[StructLayout(LayoutKind.Explicit, Size = 2 * CacheLine.Size)]
internal struct PaddedCount
{
    [FieldOffset(CacheLine.Size)] public int Value;
}

/// <summary>A worker's loop counters (written every pass) and, on a line of its own, its sleeping flag (read by producers).</summary>
[StructLayout(LayoutKind.Explicit, Size = 3 * CacheLine.Size)]
internal struct WorkerLoopCounters
{
    [FieldOffset(CacheLine.Size)] public long Passes;
    [FieldOffset(CacheLine.Size + 8)] public long BusyPasses;
    [FieldOffset(CacheLine.Size + 16)] public long IdleStreak;
    [FieldOffset(CacheLine.Size + 24)] public long BusyTicks;
    [FieldOffset(CacheLine.Size + 32)] public long StartedTimestamp;
    [FieldOffset(CacheLine.Size + 40)] public long StoppedTimestamp;
    [FieldOffset(2 * CacheLine.Size)] public int Sleeping;
}

/// <summary>A ring edge's producer-side counters and, on a line of its own, its consumer-side count.</summary>
[StructLayout(LayoutKind.Explicit, Size = 3 * CacheLine.Size)]
internal struct RingLinkCounters
{
    [FieldOffset(CacheLine.Size)] public long Enqueued;
    [FieldOffset(CacheLine.Size + 8)] public long Dropped;
    [FieldOffset(2 * CacheLine.Size)] public long Dequeued;
}

/// <summary>A stage's per-batch counters.</summary>
[StructLayout(LayoutKind.Explicit, Size = 2 * CacheLine.Size + 64)]
internal struct StageNodeCounters
{
    [FieldOffset(CacheLine.Size)] public long In;
    [FieldOffset(CacheLine.Size + 8)] public long Emitted;
    [FieldOffset(CacheLine.Size + 16)] public long Consumed;
    [FieldOffset(CacheLine.Size + 24)] public long Batches;
    [FieldOffset(CacheLine.Size + 32)] public long SampledNanoseconds;
    [FieldOffset(CacheLine.Size + 40)] public long SampledPackets;
    [FieldOffset(CacheLine.Size + 48)] public long SampledBatches;
}
