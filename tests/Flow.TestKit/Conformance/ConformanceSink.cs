using Xunit;

namespace Flow.TestKit.Conformance;

/// <summary>
/// Checks every frame as it arrives, without keeping a copy: known source, sequence in order
/// (no duplicate, no reordering; gaps only where the test allows loss), length as planned,
/// checksum intact. Frees what it checked, or holds it when <see cref="Hold"/> is set (a receiver
/// that never gives frames back, to run a backend's pool dry) until <see cref="ReleaseHeld"/>.
/// Frames that are not the suite's (a kernel's own traffic) are counted and freed.
/// Packets are consumed.
/// </summary>
[Stage("conformance_sink", "Test sink checking sequenced, checksummed frames.")]
public sealed class ConformanceSink : Stage<NoOutput, NoDrop>
{
    private readonly Dictionary<uint, Expected> _expected = [];
    private readonly List<string> _problems = [];
    private readonly List<Packet> _held = [];
    private long _foreign;
    private long _unknownSource;

    private bool _holding;

    /// <summary>Keep every frame instead of freeing it, until <see cref="ReleaseHeld"/>.</summary>
    public bool Hold
    {
        get => _holding;
        init => _holding = value;
    }

    public long Foreign => Volatile.Read(ref _foreign);

    /// <summary>Suite frames from sources this sink was not told about (stale frames of an earlier phase).</summary>
    public long UnknownSource => Volatile.Read(ref _unknownSource);

    /// <summary>Frames held so far (when <see cref="Hold"/>).</summary>
    public int HeldCount
    {
        get
        {
            lock (_held)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Expects the frames of <paramref name="source"/> (call before they can arrive).</summary>
    public void Expect(ConformanceSource source)
    {
        lock (_expected)
        {
            _expected[source.Id] = new Expected(source.Plan);
        }
    }

    /// <summary>Frames of <paramref name="sourceId"/> received so far (the source's credit).</summary>
    public long ReceivedFrom(uint sourceId)
    {
        lock (_expected)
        {
            return _expected.TryGetValue(sourceId, out Expected? e) ? Volatile.Read(ref e.Received) : 0;
        }
    }

    /// <summary>Whether every expected source's planned frames have all arrived.</summary>
    public bool HasAll()
    {
        lock (_expected)
        {
            return _expected.Values.All(e => Volatile.Read(ref e.Received) >= e.Plan.Count);
        }
    }

    /// <summary>Frames of the suite received from known sources.</summary>
    public long Received
    {
        get
        {
            lock (_expected)
            {
                return _expected.Values.Sum(e => Volatile.Read(ref e.Received));
            }
        }
    }

    /// <summary>Per source: received of planned, for failure messages.</summary>
    public string Summary()
    {
        lock (_expected)
        {
            return string.Join(", ", _expected.Select(p => $"source {p.Key}: {p.Value.Received}/{p.Value.Plan.Count}")) +
                $"; foreign {_foreign}, unknown source {_unknownSource}";
        }
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        lock (_expected)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                Check(packets[i].Data);
                nexts[i] = Next.Consumed;
            }
        }
        lock (_held)
        {
            if (_holding)
            {
                foreach (Packet packet in packets)
                {
                    _held.Add(packet);
                }
                return;
            }
        }
        PacketPools.Free(packets);
    }

    private void Check(ReadOnlySpan<byte> frame)
    {
        if (!ConformanceFrames.IsConformanceFrame(frame))
        {
            _foreign++;
            return;
        }
        uint source = ConformanceFrames.SourceOf(frame);
        long sequence = ConformanceFrames.SequenceOf(frame);
        if (!_expected.TryGetValue(source, out Expected? e))
        {
            _unknownSource++;
            return;
        }
        if (sequence < e.Next)
        {
            Problem($"source {source}: sequence {sequence} duplicated or reordered (expected {e.Next} or later)");
        }
        else if (sequence > e.Next)
        {
            e.Gaps += sequence - e.Next;
            e.FirstGap ??= $"sequences {e.Next}..{sequence - 1}";
        }
        if (sequence >= 0 && sequence < e.Plan.Count && frame.Length != e.Plan.LengthOf(sequence))
        {
            Problem($"source {source}: frame {sequence} is {frame.Length} bytes, {e.Plan.LengthOf(sequence)} were sent");
        }
        else if (!ConformanceFrames.IsIntact(frame))
        {
            Problem($"source {source}: frame {sequence} ({frame.Length} bytes) arrived with altered bytes (checksum mismatch)");
        }
        e.Next = Math.Max(e.Next, sequence + 1);
        Volatile.Write(ref e.Received, e.Received + 1);
    }

    private void Problem(string what)
    {
        if (_problems.Count < 20)
        {
            _problems.Add(what);
        }
    }

    /// <summary>Asserts every frame arrived intact, in order; with <paramref name="lossless"/>, every planned frame exactly once.</summary>
    public void AssertIntact(bool lossless)
    {
        var problems = new List<string>();
        lock (_expected)
        {
            problems.AddRange(_problems);
            foreach ((uint source, Expected e) in _expected)
            {
                if (lossless && (e.Gaps > 0 || e.Received != e.Plan.Count))
                {
                    problems.Add($"source {source}: received {e.Received} of {e.Plan.Count}; missing {e.Gaps} (first: {e.FirstGap ?? "at the end"})");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>Frees held frames and stops holding (pools are thread-safe, so the graph may be running).</summary>
    public void ReleaseHeld()
    {
        lock (_held)
        {
            _holding = false;
            PacketPools.Free(_held.ToArray());
            _held.Clear();
        }
    }

    private sealed class Expected(ConformancePlan plan)
    {
        public ConformancePlan Plan { get; } = plan;
        public long Next;
        public long Received;
        public long Gaps;
        public string? FirstGap;
    }
}
