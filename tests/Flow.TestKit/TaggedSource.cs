using System.Buffers.Binary;

namespace Flow.TestKit;

/// <summary>
/// A source that stamps (source id, sequence) after a 14-byte Ethernet header so a
/// <see cref="CaptureSink"/> can prove each packet arrived exactly once and in order.
/// Output <c>out</c>: tagged frames. Never drops: when its pool is empty it waits.
/// </summary>
[Stage("tagged_source", "Test source stamping (source id, sequence) into each frame.")]
public sealed class TaggedSource : SourceStage<TaggedSource.Output, NoDrop>, IDisposable
{
    public const int TagOffset = 14;
    public const int TagLength = 12;

    private readonly TaggedSourceOptions _options;
    private readonly PacketPool _pool;
    private long _next;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "tagged frames")]
        Out,
    }

    private long _started;

    public TaggedSource(TaggedSourceOptions options)
    {
        _options = options;
        _pool = PacketPool.Create(options.PoolFrames, name: $"tagged-{options.SourceId}");
    }

    public PacketPool Pool => _pool;

    public long Sent => Volatile.Read(ref _next);

    public override bool IsExhausted => Volatile.Read(ref _next) >= _options.Count;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        long want = Math.Min(packets.Length, _options.Count - _next);
        if (_options.RatePps > 0)
        {
            _started = _started == 0 ? System.Diagnostics.Stopwatch.GetTimestamp() : _started;
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds;
            want = Math.Min(want, (long)(seconds * _options.RatePps) - _next);
        }
        if (want <= 0)
        {
            return 0;
        }
        int n = _pool.AllocateBulk(packets.Slice(0, (int)want));
        for (int i = 0; i < n; i++)
        {
            Packet packet = packets[i];
            packet.TrySetLength(_options.FrameSize);
            Span<byte> data = packet.Data;
            data.Clear();
            data[12] = 0x88;
            data[13] = 0xB5; // IEEE local experimental ethertype
            BinaryPrimitives.WriteUInt32BigEndian(data[TagOffset..], _options.SourceId);
            BinaryPrimitives.WriteInt64BigEndian(data[(TagOffset + 4)..], _next + i);
            nexts[i] = To(Output.Out);
        }
        Volatile.Write(ref _next, _next + n);
        return n;
    }

    public void Dispose() => _pool.Dispose();
}
