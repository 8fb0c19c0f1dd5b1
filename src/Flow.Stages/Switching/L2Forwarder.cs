using System.Runtime.CompilerServices;

namespace Flow.Stages.Switching;

/// <summary>
/// Forwarding of a VLAN-aware switch (IEEE 802.1Q-2018 8.6.3–8.6.6): sends each classified
/// frame to the port its destination was learned on, or floods it to every other port of its
/// VLAN; never back out of the port it came in on. Decides per copy whether the frame leaves
/// tagged (trunk port, not its native VLAN: <see cref="PacketFlags.VlanStripped"/> stays set so
/// the port's <c>vlan_tagger</c> puts the tag back) or untagged (flag cleared).
/// </summary>
/// <remarks>
/// Outputs: one per switch port, named by <see cref="SwitchPortOptions.Name"/>
/// (<c>"forward:uplink"</c>), each leading to that port's <c>vlan_tagger</c> and tx.
/// Input: frames from a <c>vlan_classifier</c> then a <c>mac_learner</c> (VLAN in
/// <see cref="PacketMeta.VlanTci"/>, destination input-port id or <see cref="MacLearner.Flood"/>
/// in <see cref="PacketMeta.NextHop"/>).
/// Drops: <c>unknown_port</c>, <c>unclassified</c> (no VLAN in metadata), <c>same_port</c> (the
/// destination is on the port the frame came from: 802.1Q 8.6.3 filters it),
/// <c>vlan_not_allowed</c> (destination port no longer carries the VLAN — a stale entry after
/// a mode change), <c>no_flood_ports</c> (no other port in the VLAN), <c>flood_copy_failed</c>
/// (flood pool empty: that one copy is not made; counted without a packet).
/// Flooding is by copy (docs/adr/001-flooding-by-copy.md): the copies are emitted at once, the
/// original takes the highest member port through the batch. So on one port, a batch's flood
/// copies can leave before its unicast frames; frames of one (source, destination) pair keep
/// their order.
/// Control verbs (for the whole switch it ends; docs/control.md): <c>mac show|flush|add|del</c>,
/// <c>port show|set</c>, <c>vlan show</c> — declared in <c>L2Forwarder.Control.cs</c>.
/// </remarks>
[Stage("l2_forwarder", "Switch forwarding: known unicast to its port, unknown/broadcast/multicast flooded within the VLAN.",
    Accepts = typeof(Carries.Ethernet))]
public sealed partial class L2Forwarder : Stage<L2Forwarder.Output, L2Forwarder.Reason>, IDisposable
{
    // Replaced only by control messages, between batches (L2Forwarder.Control.cs).
    private SwitchPortTable _ports;
    private readonly PacketPool _floodPool;

    // Worker-owned counters; read through the control mailbox.
    private readonly long[] _unicastByPort;
    private readonly long[] _floodedByPort;
    private readonly long[] _droppedByPort;
    private readonly long[] _unicastByVlan = new long[4096];
    private readonly long[] _floodedByVlan = new long[4096];
    private readonly long[] _copiesByVlan = new long[4096];
    private readonly long[] _droppedByVlan = new long[4096];

    public L2Forwarder(L2ForwarderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ports = SwitchPortTable.Create(options.Ports);
        if (options.FloodPoolFrames is < 1 or > 1 << 20)
        {
            throw new SwitchConfigurationException($"FloodPoolFrames {options.FloodPoolFrames} is out of range 1 to {1 << 20}");
        }
        NamePorts(Output.Member, _ports.Names);
        _floodPool = PacketPool.Create(options.FloodPoolFrames, options.FloodFrameSize, name: "l2_forwarder.flood");
        _unicastByPort = new long[_ports.Count];
        _floodedByPort = new long[_ports.Count];
        _droppedByPort = new long[_ports.Count];
    }

    /// <summary>Declares what each per-port output carries; the instance has one such port per switch port.</summary>
    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames for this switch port; VlanStripped set when they leave tagged")]
        Member,
    }

    public enum Reason : byte
    {
        [DropReason("arrived with an input-port id that is no switch port", Severity.Error)]
        UnknownPort,
        [DropReason("no VLAN in metadata: no vlan_classifier before the forwarder", Severity.Error)]
        Unclassified,
        [DropReason("destination is on the port the frame came from", Severity.Info)]
        SamePort,
        [DropReason("destination port does not carry the frame's VLAN")]
        VlanNotAllowed,
        [DropReason("no other port in the frame's VLAN to flood to", Severity.Info)]
        NoFloodPorts,
        [DropReason("flood pool empty: a copy for one port was not made")]
        FloodCopyFailed,
    }

    /// <summary>The pool flood copies come from (for tests and leak checks).</summary>
    public PacketPool FloodPool => _floodPool;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        SwitchPortTable ports = _ports;
        // Known unicast in a burst mostly repeats the previous frame's (ingress, destination,
        // VLAN), and the decision depends on nothing else: reuse it, and count once per run.
        ulong runKey = NoRun;
        Next runNext = default;
        int runTo = 0;
        bool runTagged = false;
        long run = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            ref PacketMeta meta = ref packets[i].Meta;
            ulong key = UnicastKey(ref meta);
            if (key == runKey && key != NoRun)
            {
                meta.Flags = runTagged ? meta.Flags | PacketFlags.VlanStripped : meta.Flags & ~PacketFlags.VlanStripped;
                nexts[i] = runNext;
                run++;
                continue;
            }
            Next next = Forward(packets[i], ports, out int unicastTo);
            nexts[i] = next;
            if (unicastTo >= 0 && key != NoRun)
            {
                CountRun(runTo, runKey, run);
                runKey = key;
                runNext = next;
                runTo = unicastTo;
                runTagged = (meta.Flags & PacketFlags.VlanStripped) != 0;
                run = 0;
            }
        }
        CountRun(runTo, runKey, run);
    }

    private const ulong NoRun = ulong.MaxValue;

    /// <summary>(ingress id, destination id, VLAN) of a classified frame with a known destination; <see cref="NoRun"/> otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong UnicastKey(ref PacketMeta meta)
    {
        int vlan = meta.VlanTci & 0x0FFF;
        if ((meta.Flags & PacketFlags.VlanStripped) == 0 || vlan == 0 || meta.NextHop == MacLearner.Flood)
        {
            return NoRun;
        }
        return meta.InputPort | ((ulong)meta.NextHop << 16) | ((ulong)vlan << 48);
    }

    private void CountRun(int to, ulong key, long frames)
    {
        if (frames != 0)
        {
            _unicastByPort[to] += frames;
            _unicastByVlan[(int)(key >> 48)] += frames;
        }
    }

    /// <summary>The full decision for one frame; <paramref name="unicastTo"/> is the port of a known unicast sent, else -1.</summary>
    private Next Forward(Packet packet, SwitchPortTable ports, out int unicastTo)
    {
        unicastTo = -1;
        ref PacketMeta meta = ref packet.Meta;
        int from = ports.IndexOfId(meta.InputPort);
        if (from < 0)
        {
            return Drop(Reason.UnknownPort);
        }
        if ((meta.Flags & PacketFlags.VlanStripped) == 0 || (meta.VlanTci & 0x0FFF) == 0)
        {
            _droppedByPort[from]++;
            return Drop(Reason.Unclassified);
        }
        int vlan = meta.VlanTci & 0x0FFF;
        int to = meta.NextHop == MacLearner.Flood ? -1 : ports.IndexOfId(meta.NextHop);
        if (to < 0)
        {
            return FloodFrom(packet, ref meta, from, vlan, ports);
        }
        if (to == from)
        {
            return DropFor(Reason.SamePort, from, vlan);
        }
        if (!ports.IsMember(to, vlan))
        {
            return DropFor(Reason.VlanNotAllowed, from, vlan);
        }
        SetEgressTag(ref meta, ports, to, vlan);
        _unicastByPort[to]++;
        _unicastByVlan[vlan]++;
        unicastTo = to;
        return Next.ToPort(to);
    }

    /// <summary>Copies to every member of the VLAN but the ingress and the last; the original goes to the last.</summary>
    private Next FloodFrom(Packet packet, ref PacketMeta meta, int from, int vlan, SwitchPortTable ports)
    {
        ReadOnlySpan<ushort> members = ports.Members(vlan);
        int last = members.Length - 1;
        if (last >= 0 && members[last] == from)
        {
            last--;
        }
        if (last < 0)
        {
            return DropFor(Reason.NoFloodPorts, from, vlan);
        }
        long copies = 0;
        for (int m = 0; m < last; m++)
        {
            int to = members[m];
            if (to == from)
            {
                continue;
            }
            if (!_floodPool.TryClone(packet, out Packet copy))
            {
                CountDrop(Reason.FloodCopyFailed);
                continue;
            }
            SetEgressTag(ref copy.Meta, ports, to, vlan);
            Emit(copy, (Output)(byte)to);
            _floodedByPort[to]++;
            copies++;
        }
        int final = members[last];
        SetEgressTag(ref meta, ports, final, vlan);
        _floodedByPort[final]++;
        _floodedByVlan[vlan]++;
        _copiesByVlan[vlan] += copies;
        return Next.ToPort(final);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetEgressTag(ref PacketMeta meta, SwitchPortTable ports, int to, int vlan)
    {
        if (ports.SendsTagged(to, vlan))
        {
            meta.Flags |= PacketFlags.VlanStripped;
        }
        else
        {
            meta.Flags &= ~PacketFlags.VlanStripped;
        }
    }

    private Next DropFor(Reason reason, int from, int vlan)
    {
        _droppedByPort[from]++;
        _droppedByVlan[vlan]++;
        return Drop(reason);
    }

    public void Dispose() => _floodPool.Dispose();
}
