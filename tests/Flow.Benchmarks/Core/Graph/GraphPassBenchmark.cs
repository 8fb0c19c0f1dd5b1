using BenchmarkDotNet.Attributes;
using Flow.Benchmarks.Core.Pipeline;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Core.Graph;

/// <summary>
/// Per-packet cost of the pipeline workload on one thread, with no scheduler in the way: the
/// hand-written loop (baseline) against Flow's worker pass run by hand on the benchmark thread,
/// for the full graph and for the bare trip rx → counter → sink. The difference is the
/// runtime's own cost: allocation and free, scatter, one call per stage per batch.
/// </summary>
[Config(typeof(FlowBenchmarkConfig))]
public class GraphPassBenchmark
{
    private const int Packets = 2048;
    private const int ExtraHops = 8;

    private Packet[] _frames = null!;
    private BenchRx _handRx = null!;
    private FlowGraph _full = null!;
    private FlowGraph _bare = null!;
    private FlowGraph _hops = null!;
    private long _delivered;

    /// <summary>Packets a source takes per poll: per-batch costs are spread over this many.</summary>
    [Params(32, 256)]
    public int Burst { get; set; }

    private int Passes => Packets / Burst;

    [GlobalSetup]
    public void Setup()
    {
        PacketPool.EnableThreadCaches();
        _frames = new Packet[Burst];
        _handRx = new BenchRx(4096, []);
        _handRx.Pool.AllocateBulk(_frames);
        _full = new GraphBuilder().WithBurst(Burst)
            .Add("rx", new BenchRx(4096, [])).Add("classify", new Ipv4Classify()).Add("forward", new TtlForward())
            .Add("count", new Counter()).Add("sink", new NullSink()).Add("other", new Dropper())
            .Connect("rx", "classify").Connect("classify:ipv4", "forward").Connect("classify:other", "other")
            .Connect("forward", "count").Connect("count", "sink")
            .Build();
        _bare = new GraphBuilder().WithBurst(Burst)
            .Add("rx", new BenchRx(4096, [])).Add("count", new Counter()).Add("sink", new NullSink())
            .Connect("rx", "count").Connect("count", "sink")
            .Build();
        GraphBuilder hops = new GraphBuilder().WithBurst(Burst).Add("rx", new BenchRx(4096, [])).Add("count0", new Counter()).Connect("rx", "count0");
        for (int i = 1; i <= ExtraHops; i++)
        {
            hops.Add($"count{i}", new Counter()).Connect($"count{i - 1}", $"count{i}");
        }
        _hops = hops.Add("sink", new NullSink()).Connect($"count{ExtraHops}", "sink").Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _handRx.Pool.FreeBulk(_frames);
        _handRx.Dispose();
        _full.Dispose();
        _bare.Dispose();
        _hops.Dispose();
        PacketPool.ReleaseThreadCaches();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Packets)]
    public long HandLoop()
    {
        for (int pass = 0; pass < Passes; pass++)
        {
            for (int i = 0; i < Burst; i++)
            {
                Packet packet = _frames[i];
                PacketWork.Receive(packet, 0);
                if (PacketWork.Classify(packet) && PacketWork.Forward(packet))
                {
                    _delivered++;
                }
            }
        }
        return _delivered;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public int FlowFullGraph()
    {
        int work = 0;
        for (int pass = 0; pass < Passes; pass++)
        {
            work += _full.RunPassOnCallingThread(0);
        }
        return work;
    }

    /// <summary>
    /// The bare trip with <see cref="ExtraHops"/> more counters: (this − FlowRxCounterSink) / ExtraHops
    /// is what one more stage costs a packet — the hop plus a counter's trivial work.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public int FlowRxEightMoreCountersSink()
    {
        int work = 0;
        for (int pass = 0; pass < Passes; pass++)
        {
            work += _hops.RunPassOnCallingThread(0);
        }
        return work;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public int FlowRxCounterSink()
    {
        int work = 0;
        for (int pass = 0; pass < Passes; pass++)
        {
            work += _bare.RunPassOnCallingThread(0);
        }
        return work;
    }
}
