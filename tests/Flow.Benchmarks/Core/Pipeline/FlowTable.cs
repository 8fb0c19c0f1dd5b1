using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>
/// Open-addressing hash table of per-destination packet and byte counts, preallocated (no growth
/// on the data path; a full table drops with a reason): the heavy workload's second stage.
/// </summary>
internal sealed unsafe class FlowTable : IDisposable
{
    private readonly Entry* _entries;
    private readonly uint _mask;
    private readonly int _shift;
    private int _count;

    public FlowTable(int capacity)
    {
        capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _entries = (Entry*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(Entry));
        _mask = (uint)capacity - 1;
        _shift = 32 - System.Numerics.BitOperations.Log2((uint)capacity);
    }

    public int Count => _count;

    /// <summary>Adds a packet to its flow's counters; false when the table is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Update(uint key, int bytes)
    {
        // Fibonacci hashing: the high bits of the product are the well-mixed ones.
        uint slot = (key * 0x9E37_79B1u) >> _shift;
        for (uint probe = 0; probe < 16; probe++)
        {
            Entry* entry = _entries + ((slot + probe) & _mask);
            if (entry->Key == key + 1)
            {
                entry->Packets++;
                entry->Bytes += (ulong)bytes;
                return true;
            }
            if (entry->Key == 0)
            {
                entry->Key = key + 1;
                entry->Packets = 1;
                entry->Bytes = (ulong)bytes;
                _count++;
                return true;
            }
        }
        return false;
    }

    public void Dispose() => NativeMemory.Free(_entries);

    [StructLayout(LayoutKind.Sequential)]
    private struct Entry
    {
        public uint Key;
        public uint Packets;
        public ulong Bytes;
    }
}
