using Flow.Hosting.Internal;

namespace Flow.Hosting;

/// <summary>
/// Hands a copy of every packet to application code as a <see cref="PacketRecord"/> on
/// <see cref="FlowChannels.Reader"/> (or a Dataflow <see cref="FlowChannels.SourceBlock"/>) and
/// frees the packet (counted as consumed).
/// Drop reason <c>consumer_slow</c>: the app had not taken the previous <c>capacity</c> records.
/// </summary>
/// <remarks>
/// This stage is the slow side of the house and <b>allocates</b>: one <see cref="PacketRecord"/>
/// and one byte array per delivered packet. Put it behind a filter or on a tap port, not on a
/// line-rate path. It never blocks its worker: the hand-off is a lock-free queue with a bound
/// checked per packet, and a waiting reader is woken once per batch.
/// </remarks>
[Stage("channel_sink", "Copies packets to a named channel for async application code; drops when the app is slow.")]
public sealed class ChannelSink : Stage<NoOutput, ChannelSink.Reason>
{
    private readonly SinkBridge _bridge;
    private readonly int _snapLength;
    private readonly Packet[] _delivered = new Packet[PacketBatch.DefaultCapacity];
    private readonly IFlowClock _clock;

    public enum Reason : byte
    {
        [DropReason("the application did not read the channel fast enough; its queue was full", Severity.Warning)]
        ConsumerSlow,
    }

    public ChannelSink(ChannelSinkOptions options, FlowChannels channels, IFlowClock clock)
    {
        _bridge = channels.Sink(options.Channel, options.Capacity);
        _snapLength = options.SnapLength;
        _clock = clock;
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        int room = _bridge.FreeSpace;
        int delivered = 0;
        long now = _clock.NowNanoseconds;
        for (int i = 0; i < packets.Length; i++)
        {
            if (room == 0)
            {
                nexts[i] = Drop(Reason.ConsumerSlow);
                continue;
            }
            Packet packet = packets[i];
            ReadOnlySpan<byte> data = packet.Data;
            int length = _snapLength > 0 && _snapLength < data.Length ? _snapLength : data.Length;
            ref PacketMeta meta = ref packet.Meta;
            _bridge.Add(new PacketRecord(data.Slice(0, length).ToArray(), meta.InputPort, meta.Sequence, now, data.Length));
            room--;
            nexts[i] = Next.Consumed;
            if (delivered == _delivered.Length)
            {
                PacketPools.Free(_delivered);
                delivered = 0;
            }
            _delivered[delivered++] = packet;
        }
        if (delivered > 0)
        {
            PacketPools.Free(_delivered.AsSpan(0, delivered));
            _bridge.Signal();
        }
    }

    public override void OnStop() => _bridge.Complete();
}
