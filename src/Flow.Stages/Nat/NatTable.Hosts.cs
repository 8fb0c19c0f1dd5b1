using System.Runtime.InteropServices;

namespace Flow.Stages.Nat;

// Sessions per internal host, for max_sessions_per_host: a chained hash in native memory with
// one entry per host that holds sessions (never more hosts than sessions).
public sealed unsafe partial class NatTable
{
    private readonly HostCounts? _hosts;

    private sealed class HostCounts : IDisposable
    {
        private const int None = -1;
        private readonly Entry* _entries;
        private readonly int* _buckets;
        private readonly uint _mask;
        private int _free = None;
        private int _unused;

        public HostCounts(int capacity)
        {
            int buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
            _mask = (uint)buckets - 1;
            _entries = (Entry*)NativeMemory.Alloc((nuint)capacity * (nuint)sizeof(Entry));
            _buckets = (int*)NativeMemory.Alloc((nuint)buckets * sizeof(int));
            new Span<int>(_buckets, buckets).Fill(None);
        }

        public int Count(uint address)
        {
            for (int e = _buckets[Bucket(address)]; e != None; e = _entries[e].Next)
            {
                if (_entries[e].Address == address)
                {
                    return _entries[e].Count;
                }
            }
            return 0;
        }

        public void Add(uint address, int delta)
        {
            ref int link = ref _buckets[Bucket(address)];
            while (link != None)
            {
                ref Entry entry = ref _entries[link];
                if (entry.Address == address)
                {
                    entry.Count += delta;
                    if (entry.Count == 0)
                    {
                        int gone = link;
                        link = entry.Next;
                        _entries[gone].Next = _free;
                        _free = gone;
                    }
                    return;
                }
                link = ref entry.Next;
            }
            int taken;
            if (_free != None)
            {
                taken = _free;
                _free = _entries[taken].Next;
            }
            else
            {
                taken = _unused++;
            }
            _entries[taken] = new Entry { Address = address, Count = delta, Next = _buckets[Bucket(address)] };
            _buckets[Bucket(address)] = taken;
        }

        private uint Bucket(uint address) => (address * 0x9E3779B1u) >> 7 & _mask;

        public void Dispose()
        {
            NativeMemory.Free(_entries);
            NativeMemory.Free(_buckets);
        }

        private struct Entry
        {
            public uint Address;
            public int Count;
            public int Next;
        }
    }
}
