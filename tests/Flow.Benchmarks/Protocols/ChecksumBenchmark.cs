using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Flow.Protocols;

namespace Flow.Benchmarks.Protocols;

/// <summary>
/// Internet checksum over <see cref="Size"/>-byte buffers: Flow's Vector256/128 + scalar
/// tail against the RFC 1071 word-at-a-time loop. Per buffer; GB/s = Size / ns.
/// Inputs: 16 buffers in one 64-byte-aligned native region, set up once (STYLE D8).
/// </summary>
[Config(typeof(Flow.Benchmarks.Infrastructure.FlowBenchmarkConfig))]
public unsafe class ChecksumBenchmark
{
    private const int Buffers = 16;

    private byte* _data;

    [Params(64, 1500, 9000)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)(Size * Buffers), 64);
        new Random(1071).NextBytes(new Span<byte>(_data, Size * Buffers));
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_data);

    [Benchmark(Baseline = true, OperationsPerInvoke = Buffers)]
    public int NaiveScalar()
    {
        int acc = 0;
        for (int b = 0; b < Buffers; b++)
        {
            byte* p = _data + (b * Size);
            uint sum = 0;
            for (int i = 0; i + 1 < Size; i += 2)
            {
                sum += (uint)((p[i] << 8) | p[i + 1]);
            }

            while (sum > 0xFFFF)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            acc += (int)sum;
        }

        return acc;
    }

    [Benchmark(OperationsPerInvoke = Buffers)]
    public int Vectorised()
    {
        int acc = 0;
        for (int b = 0; b < Buffers; b++)
        {
            acc += Checksum.Sum(new ReadOnlySpan<byte>(_data + (b * Size), Size));
        }

        return acc;
    }
}
