using BenchmarkDotNet.Attributes;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Core.Packets;

/// <summary>
/// Cost per packet of allocating a burst of 32 frames and freeing them again: Flow's bulk
/// pool (one CAS each way per burst, metadata reset per frame) against a lock-protected stack,
/// the naive thread-safe free list.
/// </summary>
[Config(typeof(FlowBenchmarkConfig))]
public class PacketPoolBenchmark
{
    private const int Burst = 32;
    private readonly Packet[] _packets = new Packet[Burst];
    private PacketPool _pool = null!;
    private Stack<Packet> _stack = null!;
    private readonly Lock _lock = new();

    [GlobalSetup]
    public void Setup()
    {
        _pool = PacketPool.Create(4096);
        _stack = new Stack<Packet>(4096);
        var all = new Packet[4096];
        _pool.AllocateBulk(all);
        foreach (Packet packet in all)
        {
            _stack.Push(packet);
        }
        _pool.FreeBulk(all);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Burst)]
    public int LockedStack()
    {
        lock (_lock)
        {
            for (int i = 0; i < Burst; i++)
            {
                _packets[i] = _stack.Pop();
            }
        }
        lock (_lock)
        {
            for (int i = 0; i < Burst; i++)
            {
                _stack.Push(_packets[i]);
            }
        }
        return Burst;
    }

    [Benchmark(OperationsPerInvoke = Burst)]
    public int BulkPool()
    {
        int n = _pool.AllocateBulk(_packets);
        _pool.FreeBulk(_packets.AsSpan(0, n));
        return n;
    }
}
