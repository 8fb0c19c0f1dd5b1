using System.Diagnostics;

namespace Flow.TestKit.Conformance;

/// <summary>
/// Sends a <see cref="ConformancePlan"/>'s frames (<see cref="ConformanceFrames"/>) from a pool the
/// test owns, so the test proves at the end that every frame came back to it.
/// Output <c>out</c>: the frames. Never drops: when the pool, the window or the rate says wait, it waits.
/// </summary>
[Stage("conformance_source", "Test source: sequenced, checksummed frames by plan.")]
public sealed class ConformanceSource : SourceStage<ConformanceSource.Output, NoDrop>
{
    private readonly ConformancePlan _plan;
    private readonly PacketPool _pool;
    private readonly Func<long> _delivered;
    private long _next;
    private long _start;
    private int _burst;
    private long _burstEnd;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "sequenced frames")]
        Out,
    }

    /// <param name="id">The source id stamped into every frame.</param>
    /// <param name="plan">The frames to send and how.</param>
    /// <param name="pool">The test's pool the frames come from.</param>
    /// <param name="delivered">How many of this source's frames the receiver has so far (for the window and the bursts).</param>
    public ConformanceSource(uint id, ConformancePlan plan, PacketPool pool, Func<long> delivered)
    {
        Id = id;
        _plan = plan;
        _pool = pool;
        _delivered = delivered;
    }

    public uint Id { get; }

    public ConformancePlan Plan => _plan;

    public long Sent => Volatile.Read(ref _next);

    public override bool IsExhausted => Volatile.Read(ref _next) >= _plan.Count;

    public override void OnStart() => _start = Stopwatch.GetTimestamp();

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        if (_plan.StartWhen is { } gate && _next == 0 && !gate())
        {
            return 0;
        }
        long limit = _plan.Count;
        if (_plan.RatePps > 0)
        {
            long due = (long)(Stopwatch.GetElapsedTime(_start).TotalSeconds * _plan.RatePps) + 1;
            limit = Math.Min(limit, due);
        }
        if (_plan.Window > 0)
        {
            limit = Math.Min(limit, _delivered() + _plan.Window);
        }
        if (_plan.Bursts is { Count: > 0 } bursts)
        {
            if (_next == _burstEnd)
            {
                if (_delivered() < _next)
                {
                    return 0;
                }
                _burstEnd = Math.Min(_plan.Count, _next + bursts[_burst++ % bursts.Count]);
            }
            limit = Math.Min(limit, _burstEnd);
        }
        int want = (int)Math.Min(packets.Length, limit - _next);
        if (want <= 0)
        {
            return 0;
        }
        int n = _pool.AllocateBulk(packets[..want]);
        for (int i = 0; i < n; i++)
        {
            Packet packet = packets[i];
            long sequence = _next + i;
            if (!packet.TrySetLength(_plan.LengthOf(sequence)))
            {
                throw new InvalidOperationException($"a {_plan.LengthOf(sequence)}-byte frame does not fit the source's pool ({_pool.FrameSize}-byte frames)");
            }
            ConformanceFrames.Write(packet.Data, Id, sequence);
            nexts[i] = To(Output.Out);
        }
        Volatile.Write(ref _next, _next + n);
        return n;
    }
}
