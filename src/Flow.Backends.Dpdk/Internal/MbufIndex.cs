namespace Flow.Backends.Dpdk;

/// <summary>
/// The position of an mbuf in its mempool's one memory chunk: (address − first) / stride, done
/// as a multiplication by the stride's reciprocal. A 64-bit division costs tens of cycles, once
/// per received and per allocated packet; the multiplication a few. Exact for every mbuf of the
/// pool (an exact multiple k · stride with k &lt; 2^32): ⌈2^64 / stride⌉ = (2^64 + d) / stride with
/// d &lt; stride, so the product's high half is k + ⌊k · d / 2^64⌋ = k.
/// </summary>
internal readonly struct MbufIndex
{
    private readonly nint _first;
    private readonly ulong _reciprocal;

    public MbufIndex(nint first, uint stride)
    {
        // A stride of 1 would need 2^64 as its reciprocal; an mbuf is never smaller than its header.
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 2u);
        _first = first;
        _reciprocal = (ulong.MaxValue / stride) + 1;
    }

    /// <summary>The index of <paramref name="mbuf"/>, an mbuf of the pool.</summary>
    public uint Of(nint mbuf) => (uint)Math.BigMul((ulong)(mbuf - _first), _reciprocal, out _);
}
