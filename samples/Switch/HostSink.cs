using System.Buffers.Binary;
using Flow.Protocols.Ethernet;

namespace Flow.Samples.Switch;

/// <summary>
/// The receiving side of a host: takes every frame its switch port sends, reads the stamp of
/// a <see cref="SimulatedHost"/>, and records per (sender, flow) the sequences, the VLAN tag the
/// frame carried (0 when untagged) and whether it was addressed to this host (its MAC or a
/// group address) — a NIC would filter the rest, which only floods deliver.
/// </summary>
[Stage("host_sink", "The receiving side of a simulated host: records stamped frames.")]
public sealed class HostSink : Stage<NoOutput, NoDrop>
{
    private readonly MacAddress _mac;
    private readonly Dictionary<(uint Host, uint Flow), List<long>> _received = [];
    private readonly Dictionary<(uint Host, uint Flow), ushort> _vlans = [];
    private long _forMe;
    private long _notForMe;
    private long _unstamped;

    public HostSink(MacAddress mac) => _mac = mac;

    /// <summary>Frames addressed to this host (its MAC, broadcast, multicast).</summary>
    public long ForMe => Volatile.Read(ref _forMe);

    /// <summary>Frames for another host that reached this one (flooded unknown unicast).</summary>
    public long NotForMe => Volatile.Read(ref _notForMe);

    /// <summary>Frames without a <see cref="SimulatedHost"/> stamp.</summary>
    public long Unstamped => Volatile.Read(ref _unstamped);

    /// <summary>Sequences received from <paramref name="host"/>'s flow <paramref name="flow"/>, in arrival order. Read after the graph stopped.</summary>
    public IReadOnlyList<long> From(uint host, uint flow) => _received.TryGetValue((host, flow), out List<long>? s) ? s : [];

    /// <summary>The VLAN tag frames of that flow arrived with (0: untagged), or null when none arrived.</summary>
    public ushort? VlanOf(uint host, uint flow) => _vlans.TryGetValue((host, flow), out ushort v) ? v : null;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            Record(packets[i].Data);
            nexts[i] = Next.Consumed;
        }
        PacketPools.Free(packets);
    }

    private void Record(ReadOnlySpan<byte> frame)
    {
        var dst = new MacAddress(frame);
        bool forMe = dst == _mac || dst.IsMulticast;
        int offset = 12;
        ushort vlan = 0;
        if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == EtherType.Vlan)
        {
            vlan = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) & 0x0FFF);
            offset = 16;
        }
        if (frame.Length < offset + 2 + SimulatedHost.StampLength || BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]) != SimulatedHost.EtherType)
        {
            Volatile.Write(ref _unstamped, _unstamped + 1);
            return;
        }
        var key = (BinaryPrimitives.ReadUInt32BigEndian(frame[(offset + 2)..]), BinaryPrimitives.ReadUInt32BigEndian(frame[(offset + 6)..]));
        if (!_received.TryGetValue(key, out List<long>? sequences))
        {
            _received[key] = sequences = [];
            _vlans[key] = vlan;
        }
        sequences.Add(BinaryPrimitives.ReadInt64BigEndian(frame[(offset + 10)..]));
        if (forMe)
        {
            Volatile.Write(ref _forMe, _forMe + 1);
        }
        else
        {
            Volatile.Write(ref _notForMe, _notForMe + 1);
        }
    }
}
