namespace Flow.Backends.Tap.Tests;

/// <summary>
/// Test source: sends its first list of frames at once, and its second list when the test
/// calls <see cref="Release"/> (for example after the kernel answered ARP).
/// </summary>
[Stage("gated_frame_source", "Test source sending fixed frames in two gated rounds.")]
public sealed class GatedFrameSource(byte[][] first, byte[][] second) : SourceStage<GatedFrameSource.Output, NoDrop>, IDisposable
{
    private readonly PacketPool _pool = PacketPool.Create(64, name: "gated");
    private int _released;
    private int _round;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "the frames")]
        Out,
    }

    public void Release() => Volatile.Write(ref _released, 1);

    public override bool IsExhausted => Volatile.Read(ref _round) == 2;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        byte[][] frames;
        if (_round == 0)
        {
            frames = first;
        }
        else if (_round == 1 && Volatile.Read(ref _released) != 0)
        {
            frames = second;
        }
        else
        {
            return 0;
        }
        int n = _pool.AllocateBulk(packets.Slice(0, frames.Length));
        for (int i = 0; i < n; i++)
        {
            packets[i].TrySetLength(frames[i].Length);
            frames[i].CopyTo(packets[i].Data);
            nexts[i] = To(Output.Out);
        }
        Volatile.Write(ref _round, _round + 1);
        return n;
    }

    public void Dispose() => _pool.Dispose();
}
