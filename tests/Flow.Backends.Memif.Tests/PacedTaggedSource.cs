using System.Buffers.Binary;
using System.Diagnostics;
using Flow.TestKit;

namespace Flow.Backends.Memif.Tests;

/// <summary>
/// TaggedSource's stamps (source id, sequence at offset 14, as <see cref="CaptureSink"/> reads
/// them) at a bounded rate and any frame size up to 9000 B: memif has no back-pressure, so
/// lossless tests send at a rate the receiver keeps up with (the "at low rate").
/// </summary>
[Stage("paced_tagged_source", "Test source: tagged frames at a fixed rate.")]
public sealed class PacedTaggedSource : SourceStage<PacedTaggedSource.Output, NoDrop>, IDisposable
{
    private readonly uint _sourceId;
    private readonly long _count;
    private readonly int _frameSize;
    private readonly double _ticksPerPacket;
    private readonly PacketPool _pool;
    private long _next;
    private long _start;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "tagged frames")]
        Out,
    }

    private readonly Func<long>? _delivered;
    private readonly int _window;

    /// <param name="sourceId">The id stamped into every frame.</param>
    /// <param name="count">How many frames to send.</param>
    /// <param name="frameSize">Bytes per frame.</param>
    /// <param name="ratePps">Frames per second.</param>
    /// <param name="delivered">How many of this source's frames the receiver has so far; with
    /// <paramref name="window"/>, the source keeps at most that many in flight (a test-level
    /// credit loop, so a loaded machine slows the test instead of overflowing the ring).</param>
    /// <param name="window">Frames in flight at most, used with <paramref name="delivered"/>.</param>
    public PacedTaggedSource(uint sourceId, long count, int frameSize, long ratePps, Func<long>? delivered = null, int window = 0)
    {
        _delivered = delivered;
        _window = window;
        _sourceId = sourceId;
        _count = count;
        _frameSize = frameSize;
        _ticksPerPacket = (double)Stopwatch.Frequency / ratePps;
        int frame = (frameSize + PacketPool.DefaultDataOffset + 63) & ~63;
        _pool = PacketPool.Create(2048, Math.Max(PacketPool.DefaultFrameSize, frame), name: $"paced-{sourceId}");
    }

    public long Sent => Volatile.Read(ref _next);

    public PacketPool Pool => _pool;

    public override bool IsExhausted => Volatile.Read(ref _next) >= _count;

    public override void OnStart() => _start = Stopwatch.GetTimestamp();

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        long due = (long)((Stopwatch.GetTimestamp() - _start) / _ticksPerPacket) + 1;
        int want = (int)Math.Min(packets.Length, Math.Min(_count, due) - _next);
        if (_delivered is not null)
        {
            want = (int)Math.Min(want, _delivered() + _window - _next);
        }
        if (want <= 0)
        {
            return 0;
        }
        int n = _pool.AllocateBulk(packets.Slice(0, want));
        for (int i = 0; i < n; i++)
        {
            Packet packet = packets[i];
            packet.TrySetLength(_frameSize);
            Span<byte> data = packet.Data;
            data.Clear();
            data[12] = 0x88;
            data[13] = 0xB5;
            BinaryPrimitives.WriteUInt32BigEndian(data[TaggedSource.TagOffset..], _sourceId);
            BinaryPrimitives.WriteInt64BigEndian(data[(TaggedSource.TagOffset + 4)..], _next + i);
            // Last bytes carry the sequence too, so truncation or chain mix-ups show up.
            BinaryPrimitives.WriteInt64BigEndian(data[^8..], _next + i);
            nexts[i] = To(Output.Out);
        }
        Volatile.Write(ref _next, _next + n);
        return n;
    }

    public void Dispose() => _pool.Dispose();
}
