using System.Buffers.Binary;
using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;
using Flow.TestKit;

namespace Flow.Stages.Tests;

/// <summary>Frames and helpers for switch stage tests.</summary>
internal static class Frames
{
    public const ushort TestEtherType = 0x88B5; // IEEE local experimental

    /// <summary>02:00:00:00:00:<paramref name="n"/> — a locally administered unicast address.</summary>
    public static MacAddress Host(int n) => new(0x02, 0, 0, 0, (byte)(n >> 8), (byte)n);

    public static MacAddress Multicast => new(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);

    /// <summary>An Ethernet frame of <paramref name="length"/> bytes, 802.1Q-tagged when <paramref name="tci"/> is given.</summary>
    public static byte[] Frame(MacAddress dst, MacAddress src, ushort? tci = null, int length = 64, ushort tpid = 0x8100, byte fill = 0)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill(fill);
        dst.CopyTo(bytes);
        src.CopyTo(bytes.AsSpan(6));
        int type = 12;
        if (tci is ushort t && length >= 18)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(12), tpid);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(14), t);
            type = 16;
        }
        else if (tci is not null && length >= 14)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(12), tpid);
            return bytes;
        }
        if (length >= type + 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(type), TestEtherType);
        }
        return bytes;
    }

    /// <summary>
    /// A 64-byte frame whose tag stack is <paramref name="tags"/> (outermost first: each a TPID
    /// and the TCI after it), then <see cref="TestEtherType"/>.
    /// </summary>
    public static byte[] Stacked(MacAddress dst, MacAddress src, params (ushort Tpid, ushort Tci)[] tags)
    {
        var bytes = new byte[64];
        dst.CopyTo(bytes);
        src.CopyTo(bytes.AsSpan(6));
        int at = 12;
        foreach ((ushort tpid, ushort tci) in tags)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), tpid);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at + 2), tci);
            at += 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), TestEtherType);
        return bytes;
    }

    /// <summary>A packet from <paramref name="bytes"/> arriving on input port <paramref name="inputPort"/>.</summary>
    public static Packet On(this LeakCheckingPool pool, ushort inputPort, byte[] bytes)
    {
        Packet packet = pool.Make(bytes);
        packet.Meta.InputPort = inputPort;
        return packet;
    }

    /// <summary>A packet as a classifier leaves it: untagged, VLAN in metadata, destination resolved.</summary>
    public static Packet Classified(this LeakCheckingPool pool, ushort inputPort, ushort vlan, MacAddress dst, MacAddress src,
        uint nextHop = MacLearner.Flood, int length = 64)
    {
        Packet packet = pool.On(inputPort, Frame(dst, src, length: length));
        packet.Meta.VlanTci = vlan;
        packet.Meta.Flags |= PacketFlags.VlanStripped;
        packet.Meta.NextHop = nextHop;
        return packet;
    }

    public static ushort TpidAt12(Packet packet) => BinaryPrimitives.ReadUInt16BigEndian(packet.Data[12..]);

    public static ushort TciAt14(Packet packet) => BinaryPrimitives.ReadUInt16BigEndian(packet.Data[14..]);

    /// <summary>The 4-port switch most tests use: two access ports in VLAN 10, one access in 20, one trunk (10, 20, 30; native 99).</summary>
    public static IReadOnlyList<SwitchPortOptions> FourPorts() =>
    [
        SwitchPortOptions.Access("host_a", 10),
        SwitchPortOptions.Access("host_b", 10),
        SwitchPortOptions.Access("host_c", 20),
        SwitchPortOptions.Trunk("uplink", [10, 20, 30], native: 99),
    ];
}
