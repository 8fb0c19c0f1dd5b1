using System.Buffers.Binary;
using System.Globalization;

namespace Flow;

/// <summary>
/// Spreads the packets of a port with one queue (pcap, loop) over the shards of a sharded graph:
/// the graph-file loader places the port's one rx stage on shard 0's worker and this stage after
/// it, one output per shard (<c>shard0</c>, <c>shard1</c>, …), each connected to that shard's copy
/// of the stage the rx fed. Its per-port out counts are how the port's traffic was spread.
/// </summary>
/// <remarks>
/// The hash is symmetric — a packet and its reply land on one shard, which stateful stages
/// (NAT, a MAC table) need: IPv4 addresses, protocol and, for an unfragmented TCP or UDP
/// packet, ports, each pair in sorted order; other frames by their two MAC addresses. 802.1Q
/// and 802.1ad tags are skipped. Frames too short to parse all go to shard 0.
/// </remarks>
[Stage("shard_distributor", "Spreads the packets of a port with one queue over a sharded graph's shards by a symmetric flow hash.")]
public sealed class ShardDistributor : Stage<ShardDistributor.Output, NoDrop>
{
    private readonly uint _shards;

    public ShardDistributor(int shards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        _shards = (uint)shards;
        NamePorts(Output.Shard, Enumerable.Range(0, shards).Select(s => PortOf(s)).ToList());
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "the packets of the flows that hash to the shard, unchanged")]
        Shard,
    }

    /// <summary>The output for shard <paramref name="shard"/>.</summary>
    public static string PortOf(int shard) => "shard" + shard.ToString(CultureInfo.InvariantCulture);

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Next.ToPort((int)(FlowHash(packets[i].Data) % _shards));
        }
    }

    /// <summary>A hash of the frame's flow that is the same for both directions.</summary>
    internal static uint FlowHash(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return 0;
        }
        int type = 12;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[type..]);
        while (etherType is 0x8100 or 0x88A8 && frame.Length >= type + 6)
        {
            type += 4;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[type..]);
        }
        int l3 = type + 2;
        if (etherType == 0x0800 && frame.Length >= l3 + 20)
        {
            uint source = BinaryPrimitives.ReadUInt32BigEndian(frame[(l3 + 12)..]);
            uint destination = BinaryPrimitives.ReadUInt32BigEndian(frame[(l3 + 16)..]);
            byte protocol = frame[l3 + 9];
            int headerLength = (frame[l3] & 0x0F) * 4;
            bool unfragmented = (BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 6)..]) & 0x3FFF) == 0;
            uint ports = 0;
            if (unfragmented && protocol is 6 or 17 && headerLength >= 20 && frame.Length >= l3 + headerLength + 4)
            {
                uint a = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + headerLength)..]);
                uint b = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + headerLength + 2)..]);
                ports = (Math.Min(a, b) << 16) | Math.Max(a, b);
            }
            return Mix(Math.Min(source, destination), Math.Max(source, destination), ports ^ ((uint)protocol << 24));
        }
        // Not IPv4: the two stations, in sorted order (their low 32 bits are enough to spread).
        uint first = BinaryPrimitives.ReadUInt32BigEndian(frame[2..]);
        uint second = BinaryPrimitives.ReadUInt32BigEndian(frame[8..]);
        return Mix(Math.Min(first, second), Math.Max(first, second), etherType);
    }

    private static uint Mix(uint a, uint b, uint c)
    {
        ulong h = (a * 0x9E3779B97F4A7C15UL) ^ (b * 0xC2B2AE3D27D4EB4FUL) ^ (c * 0x165667B19E3779F9UL);
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        return (uint)(h ^ (h >> 32));
    }
}
