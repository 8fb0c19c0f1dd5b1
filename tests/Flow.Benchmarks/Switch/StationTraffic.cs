using Flow.Benchmarks.Infrastructure;

namespace Flow.Benchmarks.Switch;

/// <summary>
/// The switch scenario's realistic traffic, as two pcap files testpmd replays without end
/// (net_pcap <c>infinite_rx=1</c>), one per switch port:
/// <code>
///  side A file: src = station A[k mod S/2],  dst = station B[π(k)]     (enters the switch on port a)
///  side B file: src = station B[k mod S/2],  dst = station A[π'(k)]    (enters on port b)
/// </code>
/// S stations in all, half behind each port; π and π' are fixed pseudo-random permutations, so
/// each burst of 32 carries 32 different source and destination stations and every station is
/// both. Frame lengths cycle through <c>lengths</c> (64, or IMIX 64×7, 576×4, 1500×1). Every
/// frame is a <see cref="TestFrames"/> frame with its own sequence number, so a receiver can
/// verify it.
/// </summary>
internal static class StationTraffic
{
    public static readonly int[] Imix = [64, 64, 64, 576, 64, 64, 576, 64, 1500, 64, 576, 576];

    /// <summary>Writes the two files into <paramref name="directory"/> and returns their paths.</summary>
    public static (string SideA, string SideB) Write(string directory, int stations, int framesPerSide, int[] lengths)
    {
        int half = stations / 2;
        string a = Path.Combine(directory, $"stations-{stations}-{lengths.Length}-a.pcap");
        string b = Path.Combine(directory, $"stations-{stations}-{lengths.Length}-b.pcap");
        WriteSide(a, side: 0xA0, other: 0xB0, half, framesPerSide, lengths, seed: 1);
        WriteSide(b, side: 0xB0, other: 0xA0, half, framesPerSide, lengths, seed: 2);
        return (a, b);
    }

    public static byte[] Station(byte side, int index) => [0x02, side, 0, 0, (byte)(index >> 8), (byte)index];

    private static void WriteSide(string path, byte side, byte other, int half, int frames, int[] lengths, int seed)
    {
        int[] destinations = Enumerable.Range(0, frames).Select(k => k % half).ToArray();
        new Random(seed).Shuffle(destinations);
        using var file = new BinaryWriter(File.Create(path));
        file.Write(0xA1B2C3D4u); // pcap, microsecond timestamps, little-endian
        file.Write((ushort)2);
        file.Write((ushort)4);
        file.Write(0);
        file.Write(0u);
        file.Write(65535u);
        file.Write(1u); // Ethernet
        var frame = new byte[lengths.Max()];
        for (int k = 0; k < frames; k++)
        {
            int length = lengths[k % lengths.Length];
            Span<byte> data = frame.AsSpan(0, length);
            TestFrames.Write(data, Station(other, destinations[k]), Station(side, k % half), (ulong)k);
            file.Write(0u);
            file.Write((uint)k);
            file.Write((uint)length);
            file.Write((uint)length);
            file.Write(data);
        }
    }
}
