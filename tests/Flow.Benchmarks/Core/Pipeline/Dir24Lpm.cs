using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>
/// DIR-24-8 longest-prefix match (Gupta, Lin, McKeown 1998; DPDK rte_lpm): a 2^24-entry table
/// indexed by the top 24 bits, with 256-entry extension groups for longer prefixes. The heavy
/// workload's first stage: with a million random routes the 32 MiB table misses the cache on
/// almost every lookup, which is the point.
/// </summary>
internal sealed unsafe class Dir24Lpm : IDisposable
{
    private const uint ExtendedBit = 0x8000_0000;
    private const int Tbl24Size = 1 << 24;

    private readonly uint* _tbl24;
    private readonly List<uint[]> _tbl8 = [];
    private readonly byte* _depth24;

    public Dir24Lpm()
    {
        _tbl24 = (uint*)NativeMemory.AllocZeroed(Tbl24Size, sizeof(uint));
        _depth24 = (byte*)NativeMemory.AllocZeroed(Tbl24Size, 1);
    }

    /// <summary>Adds a route; next hop 0 means none. Routes must be added shortest prefix first.</summary>
    public void Add(uint prefix, int length, uint nextHop)
    {
        prefix &= length == 0 ? 0 : uint.MaxValue << (32 - length);
        if (length <= 24)
        {
            uint first = prefix >> 8;
            uint count = 1u << (24 - length);
            for (uint i = first; i < first + count; i++)
            {
                if ((_tbl24[i] & ExtendedBit) == 0 && _depth24[i] <= length)
                {
                    _tbl24[i] = nextHop;
                    _depth24[i] = (byte)length;
                }
            }
            return;
        }
        uint index = prefix >> 8;
        uint[] group;
        if ((_tbl24[index] & ExtendedBit) == 0)
        {
            group = new uint[256];
            Array.Fill(group, _tbl24[index]);
            _tbl8.Add(group);
            _tbl24[index] = ExtendedBit | (uint)(_tbl8.Count - 1);
        }
        else
        {
            group = _tbl8[(int)(_tbl24[index] & ~ExtendedBit)];
        }
        uint low = prefix & 0xFF;
        uint span = 1u << (32 - length);
        for (uint i = low; i < low + span; i++)
        {
            group[i] = nextHop;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Lookup(uint address)
    {
        uint entry = _tbl24[address >> 8];
        if ((entry & ExtendedBit) != 0)
        {
            return _tbl8[(int)(entry & ~ExtendedBit)][address & 0xFF];
        }
        return entry;
    }

    public void Dispose()
    {
        NativeMemory.Free(_tbl24);
        NativeMemory.Free(_depth24);
    }
}
