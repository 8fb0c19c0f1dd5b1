namespace Flow.Benchmarks.Infrastructure;

/// <summary>
/// The receiver's content check: every frame (or the first of every <c>sampleEvery</c>-th burst)
/// is compared, by <see cref="FrameCheck"/> (passes frames on) or <see cref="FrameCheckSink"/>
/// (frees them). Two kinds of traffic:
/// <list type="bullet">
/// <item><see cref="Sequenced"/>: <see cref="TestFrames"/> frames, each verified byte for byte
/// from its sequence number; sequences below <c>expected</c> are ticked off, so what never came
/// is <see cref="Missing"/> and what came twice is a duplicate.</item>
/// <item><see cref="Template"/>: a peer's constant frames (testpmd txonly): the first frame's
/// length and bytes 12..42 (ethertype, IPv4 and UDP headers; its IPv4 checksum must be right) are
/// what every later frame must match. The MACs are left out: a loop through a switch carries the
/// same frame in both directions.</item>
/// <item><see cref="Exact"/>: in-process generators' constant frames, each compared whole with
/// the frames that may arrive (MACs, TTL and checksum as the path under test writes them).</item>
/// </list>
/// Counters are written by the worker and read after the graph stopped.
/// </summary>
internal sealed class FrameChecker
{
    private const int TemplateFrom = 12;
    private const int TemplateTo = TestFrames.HeaderLength;

    private readonly bool _sequenced;
    private readonly int _sampleEvery;
    private readonly bool[] _seen;
    private readonly byte[][]? _exact;
    private byte[]? _template;
    private int _templateLength;
    private long _bursts;
    private long _checked;
    private long _corrupt;
    private long _duplicates;
    private long _distinct;

    private FrameChecker(bool sequenced, int expected, int sampleEvery, byte[][]? exact = null)
    {
        _sequenced = sequenced;
        _exact = exact;
        _seen = new bool[expected];
        _sampleEvery = Math.Max(1, sampleEvery);
    }

    public static FrameChecker Sequenced(int expected, int sampleEvery = 1) => new(true, expected, sampleEvery);

    public static FrameChecker Template(int sampleEvery = 1) => new(false, 0, sampleEvery);

    /// <summary>Every sampled frame must be one of <paramref name="expected"/>, byte for byte.</summary>
    public static FrameChecker Exact(byte[][] expected, int sampleEvery = 1) => new(false, 0, sampleEvery, expected);

    public long Checked => Volatile.Read(ref _checked);

    public long Corrupt => Volatile.Read(ref _corrupt);

    public long Duplicates => Volatile.Read(ref _duplicates);

    /// <summary>Sequences below the expected count that never arrived (sequenced checks with an expected count).</summary>
    public long Missing => _seen.Length - Volatile.Read(ref _distinct);

    public void Check(ReadOnlySpan<Packet> packets)
    {
        if (_sampleEvery == 1)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                Check(packets[i].Data);
            }
        }
        else if (_bursts++ % _sampleEvery == 0 && packets.Length > 0)
        {
            Check(packets[0].Data);
        }
    }

    private void Check(ReadOnlySpan<byte> frame)
    {
        _checked++;
        bool good = _exact is not null ? IsExpected(frame) : _sequenced ? CheckSequenced(frame) : CheckTemplate(frame);
        if (!good)
        {
            _corrupt++;
        }
        Volatile.Write(ref _checked, _checked);
    }

    private bool IsExpected(ReadOnlySpan<byte> frame)
    {
        foreach (byte[] expected in _exact!)
        {
            if (frame.SequenceEqual(expected))
            {
                return true;
            }
        }
        return false;
    }

    private bool CheckSequenced(ReadOnlySpan<byte> frame)
    {
        if (!TestFrames.Verify(frame, out ulong sequence))
        {
            return false;
        }
        if (sequence < (ulong)_seen.Length)
        {
            if (_seen[sequence])
            {
                _duplicates++;
            }
            else
            {
                _seen[sequence] = true;
                _distinct++;
            }
        }
        return true;
    }

    private bool CheckTemplate(ReadOnlySpan<byte> frame)
    {
        if (_template is null)
        {
            if (frame.Length < TemplateTo || !TestFrames.HeadersValid(frame))
            {
                return false;
            }
            _template = frame[TemplateFrom..TemplateTo].ToArray();
            _templateLength = frame.Length;
            return true;
        }
        return frame.Length == _templateLength && frame[TemplateFrom..TemplateTo].SequenceEqual(_template);
    }
}

/// <summary>A <see cref="FrameChecker"/> in a graph that passes every frame on.</summary>
[Stage("bench_frame_check", "Benchmark stage: verifies frames' bytes and passes them on.")]
internal sealed class FrameCheck(FrameChecker checker) : Stage<FrameCheck.Output, NoDrop>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames after the check")]
        Out,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        checker.Check(packets);
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
    }
}

/// <summary>A <see cref="FrameChecker"/> in a graph that frees every frame it checked.</summary>
[Stage("bench_frame_check_sink", "Benchmark sink: verifies frames' bytes and frees them.")]
internal sealed class FrameCheckSink(FrameChecker checker) : Stage<NoOutput, NoDrop>
{
    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        checker.Check(packets);
        PacketPools.Free(packets);
        nexts.Slice(0, packets.Length).Fill(Next.Consumed);
    }
}
