using System.Buffers.Binary;

namespace Flow.Benchmarks.Scale;

/// <summary>Options of <see cref="RoutedFrameSink"/>: the routed frame expected, as hex.</summary>
internal sealed record RoutedFrameSinkOptions
{
    public string Frame { get; init; } = "";
}

/// <summary>
/// The router scale run's wan sink: frees everything, and compares the first IPv4 frame of every
/// 16th burst whole with the one frame the router must send there (new MACs, TTL 63, the checksum
/// updated). The ARP the router sends on the port is not compared. Counters are written by the
/// worker and read after the graph stopped.
/// </summary>
[Stage("bench_routed_frame_sink", "Benchmark stage: consumes frames, comparing sampled IPv4 ones with the expected routed frame.")]
internal sealed class RoutedFrameSink : Stage<NoOutput, NoDrop>
{
    private const int SampleEvery = 16;

    private readonly byte[] _expected;
    private long _bursts;
    private long _checked;
    private long _corrupt;

    public RoutedFrameSink(RoutedFrameSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _expected = Convert.FromHexString(options.Frame);
    }

    public long Checked => Volatile.Read(ref _checked);

    public long Corrupt => Volatile.Read(ref _corrupt);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        if (_bursts++ % SampleEvery == 0)
        {
            foreach (Packet packet in packets)
            {
                ReadOnlySpan<byte> frame = packet.Data;
                if (frame.Length >= 14 && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x0800)
                {
                    Volatile.Write(ref _checked, _checked + 1);
                    Volatile.Write(ref _corrupt, _corrupt + (frame.SequenceEqual(_expected) ? 0 : 1));
                    break;
                }
            }
        }
        PacketPools.Free(packets);
        nexts.Slice(0, packets.Length).Fill(Next.Consumed);
    }
}
