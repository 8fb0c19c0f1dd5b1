namespace Flow.Backends.Pcap.Tests;

/// <summary>
/// Test source: <c>count</c> frames whose sizes cycle through the sizes that hit every path
/// (60, 64, 1514, 1518, ...) and whose bytes are a function of their index, with known
/// nanosecond timestamps. <see cref="Expected"/> gives what a reader must see.
/// </summary>
[Stage("pattern_source", "Test source of frames with known sizes, bytes and timestamps.")]
public sealed class PatternSource : SourceStage<PatternSource.Output, NoDrop>, IDisposable
{
    public const long BaseTimestampNs = 1_700_000_000_123_456_789;
    public static readonly int[] Sizes = [60, 64, 1514, 1518, 100, 61, 1000];

    private readonly PacketPool _pool = PacketPool.Create(1024, name: "pattern");
    private readonly int _count;
    private int _next;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames")]
        Out,
    }

    public PatternSource(int count) => _count = count;

    public override bool IsExhausted => Volatile.Read(ref _next) >= _count;

    public static byte[] Expected(int index)
    {
        byte[] frame = new byte[Sizes[index % Sizes.Length]];
        for (int i = 0; i < frame.Length; i++)
        {
            frame[i] = (byte)(index * 7 + i * 13);
        }
        return frame;
    }

    public static long TimestampOf(int index) => BaseTimestampNs + index * 1_000_001L;

    public override int Poll(Span<Packet> packets, Span<Next> nexts)
    {
        int want = Math.Min(packets.Length, _count - _next);
        int n = _pool.AllocateBulk(packets.Slice(0, want));
        for (int i = 0; i < n; i++)
        {
            byte[] frame = Expected(_next + i);
            packets[i].TrySetLength(frame.Length);
            frame.CopyTo(packets[i].Data);
            packets[i].Meta.Timestamp = TimestampOf(_next + i);
            nexts[i] = To(Output.Out);
        }
        Volatile.Write(ref _next, _next + n);
        return n;
    }

    public void Dispose() => _pool.Dispose();
}
