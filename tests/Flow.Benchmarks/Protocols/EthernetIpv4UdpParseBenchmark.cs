using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;

namespace Flow.Benchmarks.Protocols;

/// <summary>
/// Ethernet → IPv4 → UDP validation and a read of the destination port, per packet, over 32
/// different 64-byte frames in a 2 KiB-strided native region (as frames sit in a pool).
/// Baseline: the same checks written inline with BinaryPrimitives on a span.
/// </summary>
[Config(typeof(Flow.Benchmarks.Infrastructure.FlowBenchmarkConfig))]
public unsafe class EthernetIpv4UdpParseBenchmark
{
    private const int Packets = 32;
    private const int Stride = 2048;
    private const int FrameLength = 64;

    private byte* _frames;

    [GlobalSetup]
    public void Setup()
    {
        _frames = (byte*)NativeMemory.AlignedAlloc(Packets * Stride, 64);
        for (int i = 0; i < Packets; i++)
        {
            Span<byte> f = new(_frames + (i * Stride), FrameLength);
            f.Clear();
            EthernetBuilder.TryWriteHeader(f, new MacAddress(2, 0, 0, 0, 0, 1), new MacAddress(2, 0, 0, 0, 0, 2), EtherType.Ipv4);
            var src = new Ipv4Address(10, 0, 0, (byte)i);
            var dst = new Ipv4Address(10, 0, 1, 1);
            UdpBuilder.TryWrite(f[34..], (ushort)(1000 + i), 53, 18, src, dst);
            Ipv4Builder.TryWriteHeader(f[14..], src, dst, IpProtocol.Udp, 26);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_frames);

    [Benchmark(Baseline = true, OperationsPerInvoke = Packets)]
    public int InlineBinaryPrimitives()
    {
        int acc = 0;
        for (int i = 0; i < Packets; i++)
        {
            ReadOnlySpan<byte> f = new(_frames + (i * Stride), FrameLength);
            if (BinaryPrimitives.ReadUInt16BigEndian(f[12..]) != EtherType.Ipv4)
            {
                continue;
            }

            ReadOnlySpan<byte> ip = f[14..];
            int ihl = (ip[0] & 0xF) * 4;
            int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
            if ((ip[0] >> 4) != 4 || ihl < 20 || ihl > total || total > ip.Length || ip[9] != IpProtocol.Udp)
            {
                continue;
            }

            ReadOnlySpan<byte> udp = ip[ihl..total];
            int length = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
            if (udp.Length >= 8 && length >= 8 && length <= udp.Length)
            {
                acc += BinaryPrimitives.ReadUInt16BigEndian(udp[2..]);
            }
        }

        return acc;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public int Views()
    {
        int acc = 0;
        for (int i = 0; i < Packets; i++)
        {
            Span<byte> f = new(_frames + (i * Stride), FrameLength);
            if (EthernetFrame.TryParse(f, out EthernetFrame eth) && eth.EtherType.Host == EtherType.Ipv4
                && Ipv4Packet.TryParse(eth.Payload, out Ipv4Packet ip) && ip.Header.Protocol == IpProtocol.Udp
                && UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp))
            {
                acc += udp.Header.DestinationPort.Host;
            }
        }

        return acc;
    }
}
