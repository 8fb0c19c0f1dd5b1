namespace Flow.Stages.Tests.Switching;

/// <summary>Sends a fixed list of frames once, each stamped with its input port.</summary>
[Stage("frame_list_source", "Test source sending a fixed list of frames once.")]
internal sealed class FrameListSource((ushort Port, byte[] Frame)[] frames) : SourceStage<FrameListSource.Output, NoDrop>, IDisposable
{
    private readonly PacketPool _pool = PacketPool.Create(64);
    private int _next;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "the frames")]
        Out,
    }

    public override bool IsExhausted => Volatile.Read(ref _next) >= frames.Length;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        int n = 0;
        while (n < packets.Length && _next < frames.Length && _pool.TryAllocate(out Packet packet))
        {
            (ushort port, byte[] frame) = frames[_next++];
            packet.TrySetLength(frame.Length);
            frame.CopyTo(packet.Data);
            packet.Meta.InputPort = port;
            packets[n] = packet;
            nexts[n++] = To(Output.Out);
        }
        return n;
    }

    public void Dispose() => _pool.Dispose();
}
