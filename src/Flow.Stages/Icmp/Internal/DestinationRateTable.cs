using System.Numerics;

namespace Flow.Stages.Icmp.Internal;

/// <summary>
/// Per-destination ICMP rate limit, Linux's <c>inet_peer_xrlim_allow</c> (net/ipv4/inetpeer.c):
/// a destination earns one token per interval, keeps at most <c>burst</c> of them, and a new
/// destination starts with a full burst (Linux backdates a new peer's last message by 60 s).
/// Time is the token unit: a message costs one interval of credit.
/// </summary>
/// <remarks>
/// A fixed, direct-mapped table allocated once: a destination whose slot another destination
/// took starts again with a full burst. Many sources colliding can therefore get more than their
/// share, but never more than the global bucket allows; Linux's peer cache evicts too.
/// </remarks>
internal sealed class DestinationRateTable
{
    private readonly Entry[] _entries;
    private readonly int _shift;
    private readonly long _interval;    // nanoseconds per token; 0: unlimited
    private readonly long _capacity;    // burst × interval

    public DestinationRateTable(int slots, long intervalNanoseconds, int burst)
    {
        // Slots are a power of two, so a multiplicative hash's top bits index them.
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(slots, 2));
        _entries = new Entry[size];
        _shift = 32 - BitOperations.Log2((uint)size);
        _interval = intervalNanoseconds;
        _capacity = intervalNanoseconds * burst;
    }

    public int Slots => _entries.Length;

    /// <summary>Takes a token for <paramref name="destination"/> (host order, never 0) at <paramref name="now"/>.</summary>
    public bool TryTake(uint destination, long now)
    {
        if (_interval == 0)
        {
            return true;
        }
        ref Entry entry = ref _entries[(int)((destination * 0x9E37_79B1u) >> _shift)];
        long tokens;
        if (entry.Destination != destination)
        {
            entry.Destination = destination;
            tokens = _capacity;
        }
        else
        {
            tokens = entry.Tokens + Math.Clamp(now - entry.Last, 0, _capacity);
        }
        entry.Last = now;
        tokens = Math.Min(tokens, _capacity);
        bool allowed = tokens >= _interval;
        entry.Tokens = allowed ? tokens - _interval : tokens;
        return allowed;
    }

    private struct Entry
    {
        public uint Destination;    // 0: free (0.0.0.0 never gets an error, RFC 1812 4.3.2.7)
        public long Tokens;
        public long Last;
    }
}
