using System.Buffers.Binary;
using Flow.Protocols.Ipv4;
using Flow.TestKit;

namespace Flow.Stages.Tests.Routing;

/// <summary>IPv4/UDP frames as <c>ipv4_input</c> hands them on: L3 offset set after the Ethernet header.</summary>
internal static class RoutingFrames
{
    public const int L3Offset = 14;

    /// <summary>Writes a 60-byte Ethernet/IPv4/UDP frame from <paramref name="source"/>:<paramref name="sourcePort"/> to <paramref name="destination"/>:53.</summary>
    public static void Write(Span<byte> frame, uint source, uint destination, ushort sourcePort = 40000, byte protocol = 17, ushort fragment = 0)
    {
        frame[..60].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], 0x0800);
        Span<byte> ip = frame[L3Offset..];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], 28);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], fragment);
        ip[8] = 64;
        ip[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], source);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], destination);
        BinaryPrimitives.WriteUInt16BigEndian(ip[20..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[22..], 53);
        BinaryPrimitives.WriteUInt16BigEndian(ip[24..], 8);
    }

    public static Packet Make(LeakCheckingPool pool, uint destination, uint source = 0xC0A8_0102, ushort sourcePort = 40000, uint hash = 0, ushort fragment = 0)
    {
        var bytes = new byte[60];
        Write(bytes, source, destination, sourcePort, fragment: fragment);
        Packet packet = pool.Make(bytes);
        packet.Meta.L3Offset = L3Offset;
        packet.Meta.Hash = hash;
        packet.Meta.NextHop = 0xDEAD;
        return packet;
    }

    public static uint A(string text) => Flow.Stages.Routing.Ipv4Prefix.Parse(text + "/32").Address;

    public static Ipv4Address Ip(string text) => new(new Flow.Protocols.NetU32(A(text)));
}
