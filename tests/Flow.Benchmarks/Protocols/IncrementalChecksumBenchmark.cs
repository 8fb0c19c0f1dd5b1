using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Flow.Protocols;
using Flow.Protocols.Ipv4;

namespace Flow.Benchmarks.Protocols;

/// <summary>
/// TTL decrement on 32 IPv4 headers: RFC 1624 incremental patch against recomputing the
/// header checksum from scratch. Per header. The TTL wraps back up before it reaches zero
/// (a plain store, so the incremental variant's checksum drifts then; the work per call is
/// unchanged, and correctness is the tests' job, not this benchmark's).
/// </summary>
[Config(typeof(Flow.Benchmarks.Infrastructure.FlowBenchmarkConfig))]
public unsafe class IncrementalChecksumBenchmark
{
    private const int Headers = 32;

    private byte* _headers;

    [GlobalSetup]
    public void Setup()
    {
        _headers = (byte*)NativeMemory.AlignedAlloc(Headers * 64, 64);
        for (int i = 0; i < Headers; i++)
        {
            Ipv4Builder.TryWriteHeader(new Span<byte>(_headers + (i * 64), Ipv4Header.Size), new Ipv4Address(10, 0, 0, (byte)i), new Ipv4Address(10, 0, 1, 1), IpProtocol.Udp, 100, 200);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_headers);

    [Benchmark(Baseline = true, OperationsPerInvoke = Headers)]
    public int FullRecompute()
    {
        int acc = 0;
        for (int i = 0; i < Headers; i++)
        {
            Span<byte> bytes = new(_headers + (i * 64), Ipv4Header.Size);
            ref Ipv4Header h = ref MemoryMarshal.AsRef<Ipv4Header>(bytes);
            h.TimeToLive = h.TimeToLive == 1 ? (byte)200 : (byte)(h.TimeToLive - 1);
            h.HeaderChecksum = default;
            h.HeaderChecksum = Checksum.Compute(bytes);
            acc += h.HeaderChecksum.Raw;
        }

        return acc;
    }

    [Benchmark(OperationsPerInvoke = Headers)]
    public int Rfc1624Incremental()
    {
        int acc = 0;
        for (int i = 0; i < Headers; i++)
        {
            ref Ipv4Header h = ref MemoryMarshal.AsRef<Ipv4Header>(new Span<byte>(_headers + (i * 64), Ipv4Header.Size));
            if (h.TimeToLive == 1)
            {
                h.TimeToLive = 201;
            }

            h.DecrementTimeToLive();
            acc += h.HeaderChecksum.Raw;
        }

        return acc;
    }
}
