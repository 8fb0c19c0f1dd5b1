using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Core.Rings;

/// <summary>
/// Single-thread cost of moving a burst of 32 handles through a ring and back out, per handle:
/// Flow's SPSC ring in bulk against a bounded single-producer single-consumer Channel (the
/// .NET reference), which moves one item per call.
/// </summary>
[Config(typeof(FlowBenchmarkConfig))]
public class SpscRingBenchmark
{
    private const int Burst = 32;
    private readonly SpscRing<Packet> _ring = new(1024);
    private readonly Channel<Packet> _channel = Channel.CreateBounded<Packet>(
        new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
    private readonly Packet[] _in = new Packet[Burst];
    private readonly Packet[] _out = new Packet[Burst];

    [Benchmark(Baseline = true, OperationsPerInvoke = Burst)]
    public int ChannelOneByOne()
    {
        ChannelWriter<Packet> writer = _channel.Writer;
        ChannelReader<Packet> reader = _channel.Reader;
        for (int i = 0; i < Burst; i++)
        {
            writer.TryWrite(_in[i]);
        }
        int n = 0;
        while (reader.TryRead(out Packet packet))
        {
            _out[n++] = packet;
        }
        return n;
    }

    [Benchmark(OperationsPerInvoke = Burst)]
    public int SpscRingBulk()
    {
        _ring.Enqueue(_in);
        return _ring.Dequeue(_out);
    }
}
