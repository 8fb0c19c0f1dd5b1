using System.Buffers.Binary;
using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Router;

/// <summary>
/// The router scenario's addressing and traffic. l3fwd-graph's own route table, for its two
/// enabled ports, is 198.18.0.0/24 → port 0 and 198.18.1.0/24 → port 1, each rewritten to
/// destination MAC 02:00:00:00:00:&lt;port&gt;; in router terms that is one gateway per port:
/// <code>
///  port 0 lan  10.0.0.1/24  MAC 02:00:00:00:01:00   route 198.18.0.0/24 via 10.0.0.2 (02:00:00:00:00:00)
///  port 1 wan  10.0.1.1/24  MAC 02:00:00:00:01:01   route 198.18.1.0/24 via 10.0.1.2 (02:00:00:00:00:01)
/// </code>
/// The gateways are the testpmd ports (their MACs are l3fwd-graph's rewrite MACs). Each side's
/// pcap file, replayed without end by testpmd in front of that side's memif port, opens with
/// the gateway's ARP request for the router's address (so Flow learns its neighbour as a router
/// does: RFC 826, a request for one of its addresses; l3fwd-graph drops it, its neighbours are
/// static) followed by <see cref="FramesPerSide"/> − 1 sequenced 64-byte <see cref="TestFrames"/>
/// IPv4/UDP frames to the router's MAC for that port, from 198.18.&lt;side&gt;.h to
/// 198.18.&lt;other side&gt;.h′ (hosts 1–254 varying frame by frame), TTL 64: each is routed out
/// of the other port. One frame in 8 192 is ARP (Flow answers it: 0.012 % of testpmd's count).
/// </summary>
internal static class RouterTraffic
{
    public const int FramesPerSide = 8192;
    public const int FrameLength = 64;

    public static readonly string[] RouterMacs = ["02:00:00:00:01:00", "02:00:00:00:01:01"];
    public static readonly string[] GatewayMacs = ["02:00:00:00:00:00", "02:00:00:00:00:01"];
    public static readonly string[] RouterAddresses = ["10.0.0.1", "10.0.1.1"];
    public static readonly string[] Gateways = ["10.0.0.2", "10.0.1.2"];
    public static readonly string[] Prefixes = ["198.18.0.0/24", "198.18.1.0/24"];

    /// <summary>Writes both sides' files into <paramref name="directory"/>; returns their paths.</summary>
    public static (string Side0, string Side1) Write(string directory)
    {
        string a = Path.Combine(directory, "router-side0.pcap");
        string b = Path.Combine(directory, "router-side1.pcap");
        WriteSide(a, 0);
        WriteSide(b, 1);
        return (a, b);
    }

    private static void WriteSide(string path, int side) =>
        WriteSide(path, side, FramesPerSide, k => [198, 18, (byte)(1 - side), (byte)(1 + k * 7 % 254)]);

    /// <summary>
    /// One side's file: the gateway's ARP request for the router's address, then
    /// <paramref name="frames"/> − 1 sequenced frames from 198.18.&lt;side&gt;.h to
    /// <paramref name="destination"/>(k) for frame k.
    /// </summary>
    internal static void WriteSide(string path, int side, int frames, Func<int, byte[]> destination)
    {
        using var file = new BinaryWriter(File.Create(path));
        file.Write(0xA1B2C3D4u); // pcap, microsecond timestamps, little-endian
        file.Write((ushort)2);
        file.Write((ushort)4);
        file.Write(0);
        file.Write(0u);
        file.Write(65535u);
        file.Write(1u); // Ethernet
        byte[] gateway = TestFrames.Mac(GatewayMacs[side]);
        byte[] router = TestFrames.Mac(RouterMacs[side]);
        Record(file, 0, ArpFrame(1, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], gateway, Address(Gateways[side]), new byte[6], Address(RouterAddresses[side])));
        var frame = new byte[FrameLength];
        for (int k = 1; k < frames; k++)
        {
            TestFrames.Write(frame, router, gateway, (ulong)k);
            TestFrames.SetAddresses(frame, [198, 18, (byte)side, (byte)(1 + k % 254)], destination(k));
            Record(file, k, frame);
        }
    }

    private static void Record(BinaryWriter file, int index, byte[] frame)
    {
        file.Write(0u);
        file.Write((uint)index);
        file.Write((uint)frame.Length);
        file.Write((uint)frame.Length);
        file.Write(frame);
    }

    public static byte[] Address(string text) => System.Net.IPAddress.Parse(text).GetAddressBytes();

    /// <summary>
    /// An Ethernet/IPv4 ARP frame (<paramref name="operation"/> 1 request, 2 reply) from
    /// <paramref name="mac"/>/<paramref name="sender"/> about <paramref name="targetMac"/>/<paramref name="target"/>,
    /// to <paramref name="destination"/>, padded to 60 bytes.
    /// </summary>
    public static byte[] ArpFrame(ushort operation, byte[] destination, byte[] mac, byte[] sender, byte[] targetMac, byte[] target)
    {
        var frame = new byte[60];
        destination.CopyTo(frame, 0);
        mac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x0800);
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), operation);
        mac.CopyTo(frame, 22);
        sender.CopyTo(frame, 28);
        targetMac.CopyTo(frame, 32);
        target.CopyTo(frame, 38);
        return frame;
    }
}
