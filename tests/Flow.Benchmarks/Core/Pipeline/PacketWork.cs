using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Flow.Benchmarks.Core.Pipeline;

/// <summary>
/// The per-packet work of the pipeline scenario, shared verbatim by every variant (hand loop,
/// Flow stages, TPL Dataflow, Channels) so only the framework around it differs.
/// </summary>
internal static unsafe class PacketWork
{
    public const int FrameLength = 64;
    public const byte InitialTtl = 64;

    private static readonly byte[] s_template = BuildTemplate();

    /// <summary>Writes the 64-byte Ethernet/IPv4/UDP template into a frame (setup only).</summary>
    public static void WriteTemplate(Packet packet)
    {
        packet.TrySetLength(FrameLength);
        s_template.CopyTo(packet.Data);
    }

    /// <summary>
    /// What a NIC's receive does to a frame that is already in memory: set the length and
    /// restore the TTL (the frames are recycled, so the previous pass decremented it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Receive(Packet packet, uint destination)
    {
        packet.Meta.Length = FrameLength;
        byte* data = packet.DataPointer;
        data[22] = InitialTtl;
        if (destination != 0)
        {
            *(uint*)(data + 30) = destination;
        }
    }

    /// <summary>Parses the ethertype and the IPv4 destination; false for anything but IPv4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Classify(Packet packet)
    {
        byte* data = packet.DataPointer;
        if (packet.Length < 34 || *(ushort*)(data + 12) != 0x0008)
        {
            return false;
        }
        ref PacketMeta meta = ref packet.Meta;
        meta.L3Offset = 14;
        meta.NextHop = BinaryPrimitives.ReverseEndianness(*(uint*)(data + 30));
        return true;
    }

    /// <summary>Decrements the TTL with an RFC 1624 incremental checksum update and rewrites the MACs; false when the TTL expired.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Forward(Packet packet)
    {
        byte* ip = packet.DataPointer + 14;
        byte ttl = ip[8];
        if (ttl <= 1)
        {
            return false;
        }
        ip[8] = (byte)(ttl - 1);
        // TTL is the high byte of its 16-bit word, so the word drops by 0x0100: HC' = HC + 0x0100 (one's complement).
        uint sum = (uint)BinaryPrimitives.ReverseEndianness(*(ushort*)(ip + 10)) + 0x0100;
        sum = (sum & 0xFFFF) + (sum >> 16);
        *(ushort*)(ip + 10) = BinaryPrimitives.ReverseEndianness((ushort)sum);
        byte* eth = packet.DataPointer;
        *(uint*)eth = 0x0000_0002 | (packet.Meta.NextHop & 0xFF) << 24;
        *(ushort*)(eth + 4) = 0x0100;
        *(uint*)(eth + 6) = 0x0000_0002;
        *(ushort*)(eth + 10) = 0xFE00;
        return true;
    }

    private static byte[] BuildTemplate()
    {
        byte[] frame = new byte[FrameLength];
        Span<byte> f = frame;
        f[0] = 0x02;
        f[5] = 0x02;
        f[6] = 0x02;
        f[11] = 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], 0x0800);
        f[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(f[16..], FrameLength - 14);
        f[22] = InitialTtl;
        f[23] = 17;
        f[26] = 10;
        f[29] = 1;
        f[30] = 10;
        f[33] = 2;
        uint sum = 0;
        for (int i = 14; i < 34; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(f[i..]);
        }
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(f[24..], (ushort)~sum);
        BinaryPrimitives.WriteUInt16BigEndian(f[34..], 1024);
        BinaryPrimitives.WriteUInt16BigEndian(f[36..], 1024);
        BinaryPrimitives.WriteUInt16BigEndian(f[38..], FrameLength - 34);
        return frame;
    }
}
