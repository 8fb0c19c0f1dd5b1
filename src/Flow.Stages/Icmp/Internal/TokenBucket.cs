namespace Flow.Stages.Icmp.Internal;

/// <summary>
/// A token bucket in integer arithmetic: <c>rate</c> tokens a second, at most <c>burst</c>
/// saved, starting full — Linux's <c>icmp_global_allow</c> (net/ipv4/icmp.c), whose credit also
/// starts at the burst. Credit is kept in token-nanoseconds (one token = 10^9), so refills are
/// exact at any rate and no time is lost to rounding between calls.
/// </summary>
internal struct TokenBucket
{
    private const long Token = 1_000_000_000;

    private readonly long _rate;        // tokens per second; 0: unlimited
    private readonly long _capacity;    // burst × Token
    private readonly long _fullAfter;   // nanoseconds that refill an empty bucket; caps elapsed before the multiply
    private long _credit;
    private long _last;

    public TokenBucket(int perSecond, int burst, long now)
    {
        _rate = perSecond;
        _capacity = (long)burst * Token;
        _fullAfter = perSecond == 0 ? 0 : _capacity / perSecond + 1;
        _credit = _capacity;
        _last = now;
    }

    /// <summary>Whole tokens there would be at <paramref name="now"/>, counting the refill since the last take (for control output).</summary>
    public readonly long AvailableAt(long now) =>
        _rate == 0 ? long.MaxValue : Math.Min(_capacity, _credit + Math.Clamp(now - _last, 0, _fullAfter) * _rate) / Token;

    /// <summary>Takes a token at <paramref name="now"/>; false when the bucket is empty.</summary>
    public bool TryTake(long now)
    {
        if (_rate == 0)
        {
            return true;
        }
        long elapsed = now - _last;
        if (elapsed > 0)
        {
            _last = now;
            _credit = Math.Min(_capacity, _credit + Math.Min(elapsed, _fullAfter) * _rate);
        }
        if (_credit < Token)
        {
            return false;
        }
        _credit -= Token;
        return true;
    }
}
