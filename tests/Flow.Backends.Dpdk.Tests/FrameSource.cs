namespace Flow.Backends.Dpdk.Tests;

/// <summary>Test source: sends its frames in bursts of up to 32 once <c>gate</c> says so (a peer is connected), then is exhausted.</summary>
[Stage("dpdk_test_frame_source", "Test source sending fixed frames once a gate opens.")]
public sealed class FrameSource(IReadOnlyList<byte[]> frames, Func<bool>? gate = null) : SourceStage<FrameSource.Output, NoDrop>, IDisposable
{
    // Frames go back to the pool once sent, so a long list needs only a few hundred.
    private readonly PacketPool _pool = PacketPool.Create(Math.Clamp(frames.Count, 64, 512), name: "frame_source");
    private int _next;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "the frames")]
        Out,
    }

    public PacketPool Pool => _pool;

    public int Sent => Volatile.Read(ref _next);

    public override bool IsExhausted => Volatile.Read(ref _next) == frames.Count;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        if (_next == frames.Count || (gate is not null && !gate()))
        {
            return 0;
        }
        int want = Math.Min(Math.Min(32, packets.Length), frames.Count - _next);
        int n = _pool.AllocateBulk(packets.Slice(0, want));
        for (int i = 0; i < n; i++)
        {
            byte[] frame = frames[_next + i];
            packets[i].TrySetLength(frame.Length);
            frame.CopyTo(packets[i].Data);
            nexts[i] = To(Output.Out);
        }
        Volatile.Write(ref _next, _next + n);
        return n;
    }

    public void Dispose() => _pool.Dispose();
}
