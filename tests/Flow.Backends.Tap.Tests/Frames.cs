using System.Buffers.Binary;

namespace Flow.Backends.Tap.Tests;

/// <summary>ARP and ICMP frames built by hand (RFC 826, RFC 792), with the IPv4 and ICMP checksums (RFC 1071).</summary>
public static class Frames
{
    public static byte[] ArpRequest(byte[] senderMac, byte[] senderIp, byte[] targetIp)
    {
        byte[] f = new byte[60];
        f.AsSpan(0, 6).Fill(0xFF);
        senderMac.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), 1);      // htype Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 0x0800); // ptype IPv4
        f[18] = 6;
        f[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(20), 1);      // request
        senderMac.CopyTo(f, 22);
        senderIp.CopyTo(f, 28);
        targetIp.CopyTo(f, 38);
        return f;
    }

    public static byte[] EchoRequest(byte[] destinationMac, byte[] sourceMac, byte[] sourceIp, byte[] destinationIp,
        ushort identifier, ushort sequence, byte[] payload)
    {
        byte[] f = new byte[14 + 20 + 8 + payload.Length];
        destinationMac.CopyTo(f, 0);
        sourceMac.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        Span<byte> ip = f.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], sequence);
        ip[8] = 64;
        ip[9] = 1;
        sourceIp.CopyTo(ip[12..]);
        destinationIp.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip[..20]));
        Span<byte> icmp = ip[20..];
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        payload.CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return f;
    }

    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
