using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Flow.Hosting.Internal;

namespace Flow.Hosting;

/// <summary>
/// Named hand-offs between graphs and application code (one singleton in DI). A
/// <c>channel_sink</c> with <c>"channel": "taps"</c> feeds <see cref="Reader"/>("taps"); a
/// <c>channel_source</c> with <c>"channel": "inject"</c> is fed by <see cref="Writer"/>("inject").
/// Either side may ask first. This is the slow side of the house: readers and writers here are
/// async .NET code; the workers on the other side never wait for them.
/// </summary>
public sealed class FlowChannels
{
    /// <summary>Capacity of a hand-off whose stage has not said otherwise.</summary>
    public const int DefaultCapacity = 1024;

    private readonly Dictionary<string, SinkBridge> _sinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceBridge> _sources = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Copies of the packets reaching the <c>channel_sink</c> stages named <paramref name="channel"/>.</summary>
    public ChannelReader<PacketRecord> Reader(string channel) => Sink(channel).Reader;

    /// <summary>
    /// The same packets as a TPL Dataflow source: a <see cref="BufferBlock{T}"/> of
    /// <paramref name="boundedCapacity"/> fed from <see cref="Reader"/>. While the block is full the
    /// sink's queue fills and the sink drops with reason <c>consumer_slow</c>. Call once per channel.
    /// </summary>
    public ISourceBlock<PacketRecord> SourceBlock(string channel, int boundedCapacity = DefaultCapacity)
    {
        ChannelReader<PacketRecord> reader = Reader(channel);
        var block = new BufferBlock<PacketRecord>(new DataflowBlockOptions { BoundedCapacity = boundedCapacity });
        _ = PumpAsync(reader, block);
        return block;

        static async Task PumpAsync(ChannelReader<PacketRecord> reader, BufferBlock<PacketRecord> block)
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out PacketRecord? record))
                {
                    if (!await block.SendAsync(record).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
            block.Complete();
        }
    }

    /// <summary>Frames (whole Ethernet frames) for the <c>channel_source</c> named <paramref name="channel"/>. Complete it to let the source end.</summary>
    public ChannelWriter<byte[]> Writer(string channel) => Source(channel).Writer;

    /// <summary>
    /// The same input as a TPL Dataflow target: frames posted here go to <see cref="Writer"/>,
    /// waiting (asynchronously, in the block) while the source's queue is full. Completing the
    /// block completes the writer.
    /// </summary>
    public ITargetBlock<byte[]> TargetBlock(string channel, int boundedCapacity = DefaultCapacity)
    {
        ChannelWriter<byte[]> writer = Writer(channel);
        var block = new ActionBlock<byte[]>(async frame =>
        {
            while (!writer.TryWrite(frame))
            {
                if (!await writer.WaitToWriteAsync().ConfigureAwait(false))
                {
                    return;
                }
            }
        }, new ExecutionDataflowBlockOptions { BoundedCapacity = boundedCapacity });
        block.Completion.ContinueWith(_ => writer.TryComplete(), TaskScheduler.Default);
        return block;
    }

    internal SinkBridge Sink(string channel, int? capacity = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        lock (_lock)
        {
            if (!_sinks.TryGetValue(channel, out SinkBridge? bridge))
            {
                bridge = new SinkBridge(channel, capacity ?? DefaultCapacity);
                _sinks.Add(channel, bridge);
            }
            else if (capacity is int c)
            {
                bridge.Capacity = c;
            }
            return bridge;
        }
    }

    internal SourceBridge Source(string channel, int? capacity = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        lock (_lock)
        {
            if (!_sources.TryGetValue(channel, out SourceBridge? bridge))
            {
                bridge = new SourceBridge(channel, capacity ?? DefaultCapacity);
                _sources.Add(channel, bridge);
            }
            else if (capacity is int c)
            {
                bridge.Capacity = c;
            }
            return bridge;
        }
    }
}
