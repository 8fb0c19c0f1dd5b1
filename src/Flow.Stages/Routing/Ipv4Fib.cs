using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Routing;

/// <summary>
/// IPv4 forwarding table of the DIR-24-8 family (Gupta, Lin, McKeown 1998; DPDK <c>rte_lpm</c>,
/// <c>rte_fib</c> DIR24_8): longest-prefix match from an address to a next-hop id in one
/// memory read for prefixes up to /24 and two for longer ones. One writer (the control
/// thread) updates it while any number of <see cref="FibReader"/>s look up, without locks on
/// the lookup side.
/// </summary>
/// <remarks>
/// <code>
///  address: [ 24 bits: tbl24 index              ][ 8 bits ]
///  tbl24 (2^24 entries, 64 MiB, huge pages)          │
///   entry: 31 30 29     24 23                    0   │
///         +--+--+---------+-----------------------+  │
///         |0 |X | depth   | next-hop id / group    |  │  X = 0: the answer (id 0: no route)
///         +--+--+---------+-----------------------+  │  X = 1: bits 0–23 name a tbl8 group
///  tbl8 groups (256 entries each) ←─── group·256 + low 8 bits
///   entry: same layout with X = 0
/// </code>
/// Every entry carries the length of the prefix that wrote it, so an add overwrites only
/// entries of shorter prefixes and a delete only its own, putting back the next shorter
/// prefix that covers it (found in the RIB, the per-length rule tables in
/// <c>Ipv4Fib.Update.cs</c>). Entries are 32-bit aligned stores: a reader sees the old or the new
/// entry, never a torn one, and each address's answer moves from the old route straight to
/// the new one — an address under an untouched prefix never reads "no route".
/// A tbl8 group is filled completely before the tbl24 entry that links it is published
/// (release store), and a group unlinked by a delete is reused only after every reader inside a
/// batch has left it (<c>Internal/ReaderEpochs.cs</c>), so no reader sees a half-written group.
/// Next-hop ids are 1 to 2^24 − 1; their meaning (gateway, interface, ECMP group) is the
/// caller's (<see cref="NextHopTable"/>).
/// </remarks>
public sealed unsafe partial class Ipv4Fib : IDisposable
{
    /// <summary>Largest next-hop id an entry holds (24 bits).</summary>
    public const uint MaxNextHop = ValueMask;

    /// <summary>The lookup result for an address no prefix covers.</summary>
    public const uint NoRoute = 0;

    internal const int Tbl24Entries = 1 << 24;
    internal const uint ValueMask = 0x00FF_FFFF;
    internal const uint Extended = 0x4000_0000;
    internal const int DepthShift = 24;

    /// <summary>
    /// How many addresses ahead the batched lookup prefetches its tbl24 entry: enough to cover
    /// a DRAM miss (~80–100 ns) at a few ns per lookup; DPDK's dir24_8 bulk lookup uses 15.
    /// </summary>
    internal const int PrefetchDistance = 16;

    private readonly uint* _tbl24;
    private readonly uint* _tbl8;
    private readonly ReaderEpochs _epochs;
    private readonly bool _ownsEpochs;
    private bool _disposed;

    public Ipv4Fib(Ipv4FibOptions? options = null)
        : this(options ?? new Ipv4FibOptions(), null)
    {
    }

    internal Ipv4Fib(Ipv4FibOptions options, ReaderEpochs? epochs)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Tbl8Groups is < 1 or > (int)ValueMask)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Tbl8Groups, $"Tbl8Groups is 1 to {ValueMask}");
        }
        if (options.MaxRoutes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxRoutes, "MaxRoutes is at least 1");
        }
        _ownsEpochs = epochs is null;
        _epochs = epochs ?? new ReaderEpochs(options.MaxReaders);
        Tbl8Groups = options.Tbl8Groups;
        MaxRoutes = options.MaxRoutes;
        _tbl24 = (uint*)HugePageMemory.Allocate((nuint)Tbl24Entries * sizeof(uint), out bool huge24);
        _tbl8 = (uint*)HugePageMemory.Allocate((nuint)options.Tbl8Groups * 256 * sizeof(uint), out bool huge8);
        HugePages = huge24 && huge8;
        _freeGroups = new int[options.Tbl8Groups];
        for (int i = 0; i < options.Tbl8Groups; i++)
        {
            _freeGroups[i] = options.Tbl8Groups - 1 - i; // group 0 first: low addresses first
        }
        _freeCount = options.Tbl8Groups;
    }

    /// <summary>Second-level groups the table was made with.</summary>
    public int Tbl8Groups { get; }

    public int MaxRoutes { get; }

    /// <summary>True when the kernel accepted the huge-page advice for both tables.</summary>
    public bool HugePages { get; }

    internal ReaderEpochs Epochs => _epochs;

    /// <summary>A reader for one thread: wrap each batch of lookups in its Enter/Exit.</summary>
    public FibReader OpenReader() => new(_epochs);

    /// <summary>The next-hop id of the longest prefix covering <paramref name="address"/> (host order), or <see cref="NoRoute"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Lookup(uint address)
    {
        uint entry = _tbl24[address >> 8];
        if ((entry & Extended) != 0)
        {
            entry = _tbl8[((entry & ValueMask) << 8) | (address & 0xFF)];
        }
        return entry & ValueMask;
    }

    /// <summary>
    /// Looks up every address of <paramref name="addresses"/> (host order) into the same index of
    /// <paramref name="nextHops"/>, prefetching each tbl24 entry <see cref="PrefetchDistance"/>
    /// addresses before it is read, so the cache misses of a batch overlap instead of queueing.
    /// </summary>
    public void Lookup(ReadOnlySpan<uint> addresses, Span<uint> nextHops)
    {
        if (nextHops.Length < addresses.Length)
        {
            ThrowResultsTooShort();
        }
        uint* tbl24 = _tbl24;
        uint* tbl8 = _tbl8;
        ref uint address0 = ref MemoryMarshal.GetReference(addresses);
        ref uint result0 = ref MemoryMarshal.GetReference(nextHops);
        int count = addresses.Length;
        int ahead = Math.Min(PrefetchDistance, count);
        if (Sse.IsSupported)
        {
            for (int i = 0; i < ahead; i++)
            {
                Sse.Prefetch0(tbl24 + (Unsafe.Add(ref address0, i) >> 8));
            }
        }
        // Pass 1: every tbl24 entry of the batch, each prefetched PrefetchDistance ahead.
        for (int i = 0; i < count; i++)
        {
            if (Sse.IsSupported && i + ahead < count)
            {
                Sse.Prefetch0(tbl24 + (Unsafe.Add(ref address0, i + ahead) >> 8));
            }
            Unsafe.Add(ref result0, i) = tbl24[Unsafe.Add(ref address0, i) >> 8];
        }
        // Pass 2: the few extended entries take their second read; the rest only lose their
        // depth bits. Split from pass 1 so its loop is nothing but independent loads (rte_lpm's
        // lookupx4 does the same), at the price of one L1 store and load per address.
        for (int i = 0; i < count; i++)
        {
            uint entry = Unsafe.Add(ref result0, i);
            if ((entry & Extended) != 0)
            {
                entry = tbl8[((entry & ValueMask) << 8) | (Unsafe.Add(ref address0, i) & 0xFF)];
            }
            Unsafe.Add(ref result0, i) = entry & ValueMask;
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowResultsTooShort() =>
        throw new ArgumentException("the results span is shorter than the addresses span", "nextHops");

    public void Dispose()
    {
        lock (_writer)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            HugePageMemory.Free(_tbl24);
            HugePageMemory.Free(_tbl8);
            if (_ownsEpochs)
            {
                _epochs.Dispose();
            }
        }
    }
}
