using System.Buffers.Binary;

namespace Flow.Protocols.Tests.Infrastructure;

/// <summary>Reads and writes classic pcap files (LINKTYPE_ETHERNET), enough for the corpus and tshark.</summary>
internal static class Pcap
{
    private const uint Magic = 0xA1B2C3D4;

    public static List<byte[]> Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        bool swapped = magic != Magic;
        if (swapped && BinaryPrimitives.ReadUInt32BigEndian(file) != Magic)
        {
            throw new InvalidDataException($"{path}: not a microsecond pcap file (magic 0x{magic:x8})");
        }

        var frames = new List<byte[]>();
        int offset = 24;
        while (offset + 16 <= file.Length)
        {
            ReadOnlySpan<byte> lengthBytes = file.AsSpan(offset + 8, 4);
            int captured = (int)(swapped ? BinaryPrimitives.ReadUInt32BigEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes));
            frames.Add(file.AsSpan(offset + 16, captured).ToArray());
            offset += 16 + captured;
        }

        return frames;
    }

    public static void Write(string path, IEnumerable<byte[]> frames)
    {
        using var stream = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1);
        stream.Write(header);
        Span<byte> record = stackalloc byte[16];
        uint second = 1;
        foreach (byte[] frame in frames)
        {
            record.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(record, second++);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            stream.Write(record);
            stream.Write(frame);
        }
    }
}
