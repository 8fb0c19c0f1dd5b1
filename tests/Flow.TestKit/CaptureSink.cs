using System.Buffers.Binary;
using System.Collections.Concurrent;
using Xunit;

namespace Flow.TestKit;

/// <summary>
/// A sink that copies every packet's bytes and frees it; then proves tagged traffic arrived
/// exactly once and in order per source, listing what is missing (VPP verify_capture).
/// </summary>
[Stage("capture_sink", "Test sink copying every packet it receives.")]
public sealed class CaptureSink : Stage<NoOutput, NoDrop>
{
    private readonly ConcurrentQueue<byte[]> _frames = new();

    public IReadOnlyList<byte[]> Frames => _frames.ToArray();

    public int Count => _frames.Count;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            _frames.Enqueue(packets[i].Data.ToArray());
            nexts[i] = Next.Consumed;
        }
        PacketPools.Free(packets);
    }

    /// <summary>Asserts each source's sequences 0..count-1 arrived exactly once, in order.</summary>
    public void AssertExactlyOnceInOrder(IReadOnlyDictionary<uint, long> expectedPerSource)
    {
        var next = expectedPerSource.Keys.ToDictionary(k => k, _ => 0L);
        var problems = new List<string>();
        foreach (byte[] frame in _frames)
        {
            uint source = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(TaggedSource.TagOffset));
            long sequence = BinaryPrimitives.ReadInt64BigEndian(frame.AsSpan(TaggedSource.TagOffset + 4));
            if (!next.TryGetValue(source, out long expected))
            {
                problems.Add($"packet from unknown source {source}");
                continue;
            }
            if (sequence != expected)
            {
                problems.Add(sequence < expected
                    ? $"source {source}: sequence {sequence} duplicated or reordered (expected {expected})"
                    : $"source {source}: sequences {expected}..{sequence - 1} missing");
            }
            next[source] = Math.Max(expected, sequence + 1);
            if (problems.Count > 20)
            {
                break;
            }
        }
        foreach ((uint source, long count) in expectedPerSource)
        {
            if (next[source] != count)
            {
                problems.Add($"source {source}: received up to {next[source]}, expected {count}");
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
