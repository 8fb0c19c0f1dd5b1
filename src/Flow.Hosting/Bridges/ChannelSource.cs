using Flow.Hosting.Internal;

namespace Flow.Hosting;

/// <summary>
/// Injects frames written by application code (<see cref="FlowChannels.Writer"/> or a Dataflow
/// <see cref="FlowChannels.TargetBlock"/>) into the graph, copying each into a frame of its own pool.
/// Output <c>out</c>: the injected frames (Ethernet).
/// Drop reasons <c>pool_empty</c> (every frame of the pool was in flight) and <c>too_long</c>
/// (the frame does not fit a pool frame).
/// The source is exhausted once the app completes the writer and every frame was taken, so a
/// finite run ends by itself.
/// </summary>
/// <remarks>
/// The slow side of the house: the app allocates the byte arrays it writes. The worker takes
/// them from a lock-free queue without waiting; a full queue is back-pressure on the app
/// (<c>TryWrite</c> returns false, <c>WriteAsync</c> waits), never on the worker. The source has
/// no wake-up fd: a worker with the <c>event</c> idle policy sees new frames at its timeout.
/// </remarks>
[Stage("channel_source", "Injects frames written by application code to a named channel.")]
public sealed class ChannelSource : SourceStage<ChannelSource.Output, ChannelSource.Reason>, IDisposable
{
    private readonly SourceBridge _bridge;
    private readonly PacketPool _pool;
    private readonly ushort _inputPort;
    private ulong _sequence;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames written by the application")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("the source's pool had no free frame", Severity.Warning)]
        PoolEmpty,

        [DropReason("the frame is longer than a pool frame's data room", Severity.Warning)]
        TooLong,
    }

    public ChannelSource(ChannelSourceOptions options, FlowChannels channels)
    {
        _bridge = channels.Source(options.Channel, options.Capacity);
        _pool = PacketPool.Create(options.PoolFrames, name: "channel_source:" + options.Channel);
        _inputPort = options.InputPort;
    }

    public override bool IsExhausted => _bridge.IsDone;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        int want = Math.Min(packets.Length, _bridge.Count);
        if (want == 0)
        {
            return 0;
        }
        int allocated = _pool.AllocateBulk(packets.Slice(0, want));
        int filled = 0;
        int room = _pool.FrameSize - _pool.DataOffset;
        for (int i = 0; i < want && _bridge.TryTake(out byte[] frame); i++)
        {
            if (filled >= allocated)
            {
                CountDrop(Reason.PoolEmpty);
                continue;
            }
            if (frame.Length > room || frame.Length == 0)
            {
                CountDrop(Reason.TooLong);
                continue;
            }
            Packet packet = packets[filled];
            ref PacketMeta meta = ref packet.Meta;
            meta.Length = (ushort)frame.Length;
            meta.InputPort = _inputPort;
            meta.Flags = PacketFlags.L2Valid;
            meta.Sequence = _sequence++;
            frame.CopyTo(packet.Data);
            nexts[filled] = To(Output.Out);
            filled++;
        }
        if (filled < allocated)
        {
            _pool.FreeBulk(packets.Slice(filled, allocated - filled));
        }
        _bridge.Signal();
        return filled;
    }

    public void Dispose() => _pool.Dispose();
}
