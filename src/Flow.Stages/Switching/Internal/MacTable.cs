using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Flow.Stages.Switching.Internal;

/// <summary>
/// (VLAN, MAC) → input-port id, preallocated, no growth, no allocation after construction.
/// </summary>
/// <remarks>
/// Design: set-associative, <see cref="Ways"/> slots per bucket; a bucket's eight keys are one
/// 64-byte cache line, so a lookup reads one line of keys and, on a hit, one slot of ports.
/// Each key has two buckets and goes into the emptier (ties: the first, so most lookups read one
/// line; a key absent from its first bucket costs a second). With buckets twice the entry limit
/// over the ways, one bucket per key overflowed before the table was full (about 0.8 % of a full
/// table refused); with the choice of two the limit fits. A refused insert is counted, never thrown.
/// Deletion clears the slot (no tombstones: a key is found only within its own two buckets).
/// The bucket hash is keyed per table (security review 2026-12, M4): with one fixed multiplier
/// anyone could compute offline eight addresses sharing a victim's bucket and, with eight
/// frames, keep the victim from being learned (or evict it) so that its traffic floods. A
/// random XOR seed and two random odd multipliers, drawn per table from the system's CSPRNG,
/// make each bucket choice a universal multiply-shift of the mixed key: two given keys share a
/// bucket with probability about 1/buckets, and which ones do cannot be known outside the process.
/// With per-port or per-VLAN counting on, the table keeps the number of dynamic entries per
/// input-port id and per VLAN, updated on the rare paths (insert, move, remove) only.
/// <code>
///  key (64 bits): | 1 (occupied) | 000 | VLAN (12) | MAC (48, wire bytes little-endian) |
/// </code>
/// One writer: the <see cref="MacLearner"/> that made the table, on its worker. The copies of a
/// sharded learner read it from other workers (<see cref="EnableConcurrentReaders"/>): each
/// bucket then has a sequence number, odd while the writer changes the bucket, so that a
/// reader that saw the same even number before and after its lookup saw no torn entry (a
/// seqlock; the writer never waits for readers).
/// </remarks>
internal sealed class MacTable
{
    public const int Ways = 8;

    private const ulong Occupied = 1UL << 63;
    private const ulong MacMask = (1UL << 48) - 1;

    // Keys live in a pinned array at a 64-byte aligned offset, so each bucket is exactly one
    // cache line; _keys[_base + slot] is slot's key.
    private readonly ulong[] _keys;
    private readonly int _base;
    private readonly ushort[] _ports;
    private readonly long[] _lastSeen;
    private readonly bool[] _static;
    private readonly int _shift;
    private readonly ulong _seed;
    private readonly ulong _firstMultiplier;
    private readonly ulong _secondMultiplier;
    private readonly int[]? _dynamicByPort;   // per input-port id, when counted
    private readonly int[]? _dynamicByVlan;   // per VLAN id, when counted
    private int[]? _versions;                 // per bucket, when read by other threads: odd while written

    public MacTable(int maxEntries, bool countByPort = false, bool countByVlan = false)
    {
        Debug.Assert(maxEntries > 0, "validated by the options");
        MaxEntries = maxEntries;
        int buckets = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, (2L * maxEntries + Ways - 1) / Ways));
        _shift = 64 - BitOperations.Log2((uint)buckets);
        _keys = GC.AllocateArray<ulong>((buckets * Ways) + Ways, pinned: true);
        _base = AlignedBase(_keys);
        _ports = new ushort[buckets * Ways];
        _lastSeen = new long[buckets * Ways];
        _static = new bool[buckets * Ways];
        Span<ulong> random = stackalloc ulong[3];
        RandomNumberGenerator.Fill(MemoryMarshal.AsBytes(random));
        _seed = random[0];
        // Odd: multiplication by them is a bijection of the 64-bit keys.
        _firstMultiplier = random[1] | 1;
        _secondMultiplier = random[2] | 1;
        _dynamicByPort = countByPort ? new int[ushort.MaxValue + 1] : null;
        _dynamicByVlan = countByVlan ? new int[4096] : null;
    }

    public int MaxEntries { get; }

    public int Count { get; private set; }

    public int Slots => _ports.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Key(int vlan, ulong mac48) => Occupied | ((ulong)(vlan & 0xFFF) << 48) | (mac48 & MacMask);

    public static int VlanOf(ulong key) => (int)(key >> 48) & 0xFFF;

    public static ulong MacOf(ulong key) => key & MacMask;

    public ulong KeyAt(int slot) => _keys[_base + slot];

    public ushort PortAt(int slot) => _ports[slot];

    public long LastSeenAt(int slot) => _lastSeen[slot];

    public bool IsStaticAt(int slot) => _static[slot];

    /// <summary>Dynamic entries on input-port id <paramref name="port"/> (the table counts them when made with <c>countByPort</c>).</summary>
    public int DynamicOnPort(ushort port) => _dynamicByPort![port];

    /// <summary>Dynamic entries in <paramref name="vlan"/> (the table counts them when made with <c>countByVlan</c>).</summary>
    public int DynamicInVlan(int vlan) => _dynamicByVlan![vlan];

    /// <summary>Lookups <see cref="TryLookupConcurrent"/> tries while the writer keeps changing the bucket, before it answers "unknown".</summary>
    public const int MaxConcurrentReadAttempts = 8;

    /// <summary>
    /// Gives every bucket a sequence number, so that threads other than the writer may read the
    /// table with <see cref="TryLookupConcurrent"/>. Call before any reader starts.
    /// </summary>
    public void EnableConcurrentReaders() => _versions ??= new int[_ports.Length / Ways];

    /// <summary>
    /// Looks <paramref name="key"/> up from a thread other than the writer's: true with its slot
    /// and port when found in a state the writer had published. A bucket the writer changed
    /// during <see cref="MaxConcurrentReadAttempts"/> tries in a row answers false, as an
    /// unknown address does: a switch floods the frame, which is correct, only wider.
    /// </summary>
    public bool TryLookupConcurrent(ulong key, out int slot, out ushort port)
    {
        ulong mixed = Mix(key);
        return TryLookupInBucket(BucketAt(mixed, _firstMultiplier), key, out slot, out port) ||
            TryLookupInBucket(BucketAt(mixed, _secondMultiplier), key, out slot, out port);
    }

    // One bucket under its sequence number. The key is in at most one of its buckets at a time,
    // and each bucket is read as the writer published it, so a key found is the key's own entry;
    // a key the writer moved between the two reads is missed, and floods.
    private bool TryLookupInBucket(int first, ulong key, out int slot, out ushort port)
    {
        ref int version = ref _versions![first / Ways];
        for (int attempt = 0; attempt < MaxConcurrentReadAttempts; attempt++)
        {
            int before = Volatile.Read(ref version);
            if ((before & 1) == 0)
            {
                slot = FindInBucket(first, key);
                port = slot >= 0 ? _ports[slot] : (ushort)0;
                // The key and port reads stay before the second read of the number.
                Volatile.ReadBarrier();
                if (Volatile.Read(ref version) == before)
                {
                    return slot >= 0;
                }
            }
            Thread.SpinWait(1);
        }
        slot = -1;
        port = 0;
        return false;
    }

    /// <summary>Slot holding <paramref name="key"/>, or -1. On the writer's thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ulong key)
    {
        ulong mixed = Mix(key);
        int slot = FindInBucket(BucketAt(mixed, _firstMultiplier), key);
        return slot >= 0 ? slot : FindInBucket(BucketAt(mixed, _secondMultiplier), key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FindInBucket(int first, ulong key)
    {
        ref ulong keys = ref _keys[_base + first];
        // The bucket's eight keys are one cache line: compare them at once where the hardware
        // can (one 512-bit or two 256-bit compares), else one by one.
        uint matches;
        if (Vector512.IsHardwareAccelerated)
        {
            matches = (uint)Vector512.Equals(Vector512.LoadUnsafe(ref keys), Vector512.Create(key)).ExtractMostSignificantBits();
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<ulong> wanted = Vector256.Create(key);
            matches = Vector256.Equals(Vector256.LoadUnsafe(ref keys), wanted).ExtractMostSignificantBits() |
                (Vector256.Equals(Vector256.LoadUnsafe(ref keys, 4), wanted).ExtractMostSignificantBits() << 4);
        }
        else
        {
            for (int w = 0; w < Ways; w++)
            {
                if (Unsafe.Add(ref keys, w) == key)
                {
                    return first + w;
                }
            }
            return -1;
        }
        return matches == 0 ? -1 : first + BitOperations.TrailingZeroCount(matches);
    }

    /// <summary>
    /// How stale a last-seen time may get before <see cref="Refresh"/> stores a new one: a
    /// millisecond, nothing against aging times of seconds. The copies of a sharded learner
    /// stamp the same entries, each by its own tick's clock; storing on every difference would
    /// pass the line between their cores with every batch.
    /// </summary>
    public const long RefreshGranularityNanoseconds = 1_000_000;

    /// <summary>
    /// Stamps a dynamic entry seen on its port at <paramref name="now"/>, when its stored time is
    /// <see cref="RefreshGranularityNanoseconds"/> old or more (a time older than the stored one
    /// is never stored). Static entries keep no time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Refresh(int slot, long now)
    {
        if (now - _lastSeen[slot] >= RefreshGranularityNanoseconds && !_static[slot])
        {
            _lastSeen[slot] = now;
        }
    }

    /// <summary>Moves an existing dynamic entry to <paramref name="port"/>, seen at <paramref name="now"/>.</summary>
    public void Move(int slot, ushort port, long now)
    {
        Debug.Assert(!_static[slot], "static entries never move");
        if (_dynamicByPort is int[] byPort)
        {
            byPort[_ports[slot]]--;
            byPort[port]++;
        }
        BeginWrite(slot);
        _ports[slot] = port;
        _lastSeen[slot] = now;
        EndWrite(slot);
    }

    /// <summary>
    /// Inserts a key known to be absent. Returns the slot, or -1 when the table or the bucket is
    /// full and <paramref name="evictOldest"/> is false or there is no dynamic entry to evict;
    /// <paramref name="evicted"/> tells whether an entry gave way. The entry evicted is the least
    /// recently seen dynamic one on <paramref name="port"/> if the bucket has one, else the least
    /// recently seen dynamic one: a port that fills a bucket then evicts its own entries, not
    /// those of other ports (security review M4).
    /// </summary>
    public int Insert(ulong key, ushort port, long now, bool isStatic, bool evictOldest, out bool evicted)
    {
        evicted = false;
        ulong mixed = Mix(key);
        int first = BucketAt(mixed, _firstMultiplier);
        int second = BucketAt(mixed, _secondMultiplier);
        int oldest = -1;
        int oldestOfPort = -1;
        int firstFree = ScanBucket(first, port, ref oldest, ref oldestOfPort, out int firstFreeSlot);
        int secondFreeSlot = -1;
        int secondFree = second == first ? 0 : ScanBucket(second, port, ref oldest, ref oldestOfPort, out secondFreeSlot);
        // The emptier bucket takes the key (ties: the first, where a lookup looks first).
        int target = Count >= MaxEntries ? -1 : firstFree >= secondFree && firstFree > 0 ? firstFreeSlot : secondFreeSlot;
        if (target < 0 && (!evictOldest || oldest < 0))
        {
            return -1;
        }
        if (target < 0)
        {
            target = oldestOfPort >= 0 ? oldestOfPort : oldest;
            evicted = true;
        }
        BeginWrite(target);
        if (evicted)
        {
            Clear(target);
        }
        _keys[_base + target] = key;
        _ports[target] = port;
        _lastSeen[target] = now;
        _static[target] = isStatic;
        EndWrite(target);
        if (!isStatic)
        {
            CountDynamic(key, port, +1);
        }
        Count++;
        return target;
    }

    /// <summary>
    /// Free slots of the bucket at <paramref name="bucket"/> (and the first of them), updating the
    /// least recently seen dynamic entry, overall and on <paramref name="port"/>.
    /// </summary>
    private int ScanBucket(int bucket, ushort port, ref int oldest, ref int oldestOfPort, out int freeSlot)
    {
        int free = 0;
        freeSlot = -1;
        for (int slot = bucket; slot < bucket + Ways; slot++)
        {
            if (_keys[_base + slot] == 0)
            {
                freeSlot = free++ == 0 ? slot : freeSlot;
                continue;
            }
            if (_static[slot])
            {
                continue;
            }
            long seen = _lastSeen[slot];
            if (oldest < 0 || seen < _lastSeen[oldest])
            {
                oldest = slot;
            }
            if (_ports[slot] == port && (oldestOfPort < 0 || seen < _lastSeen[oldestOfPort]))
            {
                oldestOfPort = slot;
            }
        }
        return free;
    }

    public void RemoveAt(int slot)
    {
        BeginWrite(slot);
        Clear(slot);
        EndWrite(slot);
    }

    private void Clear(int slot)
    {
        ulong key = _keys[_base + slot];
        Debug.Assert(key != 0, "removing an empty slot");
        if (!_static[slot])
        {
            CountDynamic(key, _ports[slot], -1);
        }
        _keys[_base + slot] = 0;
        _static[slot] = false;
        Count--;
    }

    // A bucket's number turns odd before its first change (a full fence: no change is seen
    // first) and even after its last (a release: every change is seen before it).
    private void BeginWrite(int slot)
    {
        if (_versions is int[] versions)
        {
            Interlocked.Increment(ref versions[slot / Ways]);
        }
    }

    private void EndWrite(int slot)
    {
        if (_versions is int[] versions)
        {
            ref int version = ref versions[slot / Ways];
            Volatile.Write(ref version, version + 1);
        }
    }

    private void CountDynamic(ulong key, ushort port, int delta)
    {
        if (_dynamicByPort is int[] byPort)
        {
            byPort[port] += delta;
        }
        if (_dynamicByVlan is int[] byVlan)
        {
            byVlan[VlanOf(key)] += delta;
        }
    }

    private static unsafe int AlignedBase(ulong[] pinned)
    {
        nint address = (nint)Unsafe.AsPointer(ref pinned[0]);
        return (int)((64 - (address & 63)) & 63) / sizeof(ulong);
    }

    /// <summary>First slot of the bucket where <paramref name="key"/> is looked for first.</summary>
    internal int BucketOf(ulong key) => BucketAt(Mix(key), _firstMultiplier);

    /// <summary>First slot of the bucket where <paramref name="key"/> is looked for when it is not in its first.</summary>
    internal int OtherBucketOf(ulong key) => BucketAt(Mix(key), _secondMultiplier);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int BucketAt(ulong mixed, ulong multiplier) => (int)((mixed * multiplier) >> _shift) * Ways;

    /// <summary>
    /// The key with the table's seed, through a 64-bit finaliser (MurmurHash3's fmix64, a
    /// bijection): MAC addresses handed out in sequence differ in a few bits only, and a bare
    /// multiply-shift packed them into few buckets (4 096 such keys in a table of 16 384 had
    /// 1.4 of them refused on average). Multiplying the mixed key by a random odd number keeps
    /// the universal bound of the keyed multiply-shift, the mixing spreads structured keys.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Mix(ulong key)
    {
        ulong x = key ^ _seed;
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        return x ^ (x >> 33);
    }
}
