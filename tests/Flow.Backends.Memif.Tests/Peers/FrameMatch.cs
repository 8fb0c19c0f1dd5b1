using System.Buffers.Binary;

namespace Flow.Backends.Memif.Tests.Peers;

/// <summary>
/// Test stage between a receiver and its sink that compares every frame's bytes with what the
/// foreign peer must have sent, counting frames compared and frames that differ, and passes
/// every frame on. Two rules:
/// <list type="bullet">
/// <item><see cref="TxonlyHeaders"/>: testpmd txonly's frames. It writes the Ethernet, IPv4 and
/// UDP headers (bytes 12..42: IPv4 198.18.0.1 → 198.18.0.2, TTL 64, id 0, header checksum, UDP
/// 9 → 9) and leaves the payload as the mbuf held it; its MACs are the port's and the eth-peer's,
/// the same in every frame.</item>
/// <item><see cref="Exactly"/>: frames echoed unchanged (testpmd io): each equals the frame sent
/// of its length, byte for byte.</item>
/// </list>
/// Counters are written by the worker and read after the graph stopped or settled.
/// </summary>
[Stage("test_frame_match", "Test stage: compares every frame's bytes with the peer's expected frame.")]
internal sealed class FrameMatch : Stage<FrameMatch.Output, NoDrop>
{
    private readonly Dictionary<int, byte[]>? _exact;
    private byte[]? _macs;
    private byte[]? _firstCorrupt;
    private long _firstCorruptAt;
    private long _checked;
    private long _corrupt;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "every frame, after the comparison")]
        Out,
    }

    private FrameMatch(Dictionary<int, byte[]>? exact) => _exact = exact;

    public static FrameMatch TxonlyHeaders() => new(null);

    public static FrameMatch Exactly(params byte[][] frames) => new(frames.ToDictionary(f => f.Length));

    public long Checked => Volatile.Read(ref _checked);

    public long Corrupt => Volatile.Read(ref _corrupt);

    /// <summary>The first frame that differed: its index, length and the byte ranges that differ from the frame sent of its length.</summary>
    public string FirstCorrupt()
    {
        if (_firstCorrupt is not { } frame)
        {
            return "none";
        }
        string where = "";
        if (_exact is not null && _exact.TryGetValue(frame.Length, out byte[]? sent))
        {
            var ranges = new List<string>();
            for (int i = 0; i < frame.Length; i++)
            {
                if (frame[i] == sent[i])
                {
                    continue;
                }
                int start = i;
                while (i + 1 < frame.Length && frame[i + 1] != sent[i + 1])
                {
                    i++;
                }
                ranges.Add($"{start}..{i + 1}");
            }
            where = $", differing bytes {string.Join(' ', ranges.Take(20))}";
        }
        return $"frame #{_firstCorruptAt}, {frame.Length} bytes{where}; first 64: {Convert.ToHexString(frame.AsSpan(0, Math.Min(64, frame.Length)))}";
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long corrupt = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            if (!Matches(packets[i].Data))
            {
                if (_firstCorrupt is null)
                {
                    _firstCorrupt = packets[i].Data.ToArray();
                    _firstCorruptAt = _checked + i;
                }
                corrupt++;
            }
        }
        Volatile.Write(ref _corrupt, _corrupt + corrupt);
        Volatile.Write(ref _checked, _checked + packets.Length);
        nexts.Slice(0, packets.Length).Fill(To(Output.Out));
    }

    private bool Matches(ReadOnlySpan<byte> frame)
    {
        if (_exact is not null)
        {
            return _exact.TryGetValue(frame.Length, out byte[]? sent) && frame.SequenceEqual(sent);
        }
        if (frame.Length < 42 || !frame[12..42].SequenceEqual(TxonlyHeaderBytes(frame.Length)))
        {
            return false;
        }
        _macs ??= frame[..12].ToArray();
        return frame[..12].SequenceEqual(_macs);
    }

    /// <summary>Bytes 12..42 of testpmd txonly's frame of <paramref name="length"/> bytes.</summary>
    public static byte[] TxonlyHeaderBytes(int length)
    {
        var h = new byte[30];
        h[0] = 0x08;
        Span<byte> ip = h.AsSpan(2, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(length - 14));
        ip[8] = 64;
        ip[9] = 17;
        ((byte[])[198, 18, 0, 1, 198, 18, 0, 2]).CopyTo(ip[12..]);
        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
        Span<byte> udp = h.AsSpan(22, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 9);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(length - 34));
        return h;
    }

    /// <summary>A frame Flow sends for an echo: fixed MACs, ethertype 0x88B5, a pattern seeded by its length.</summary>
    public static byte[] Patterned(int length)
    {
        var frame = new byte[length];
        ((byte[])[0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xB5]).CopyTo(frame, 0);
        for (int i = 14; i < length; i++)
        {
            frame[i] = (byte)(length * 7 + i * 31);
        }
        return frame;
    }
}
