using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;

namespace Flow.Stages.Vlan;

/// <summary>
/// Ingress of a VLAN-aware switch (IEEE 802.1Q-2018 8.6.1, 8.6.2): decides each frame's VLAN
/// from the port it arrived on and its 802.1Q tag, and moves the tag into metadata, so the
/// stages after it see untagged frames with <see cref="PacketMeta.VlanTci"/> set and
/// <see cref="PacketFlags.VlanStripped"/> on — the same contract as a NIC's VLAN-strip offload
/// (a frame a backend already stripped is taken as it is).
/// </summary>
/// <remarks>
/// Output <c>classified</c>: untagged frames, VLAN and priority in <see cref="PacketMeta.VlanTci"/>.
/// Access ports accept untagged and priority-tagged (VLAN 0) frames into their VLAN. Trunk
/// ports accept tagged frames of their allowed VLANs, and untagged frames into their native
/// VLAN. Only TPID 0x8100 is the port's tag (a C-VLAN bridge); what follows it (or the
/// EtherType of an untagged frame) must not be a tag again — 0x8100, 0x88A8 or 0x9100 — unless
/// the port is a trunk with <see cref="SwitchPortOptions.QinqTransit"/>: the next bridge would
/// classify the frame by that inner tag, so <c>[VID 0][VID 20]</c> sent into an access port of
/// VLAN 10 would leave a trunk whose native VLAN is 10 as a VLAN-20 frame (VLAN hopping).
/// Drops: <c>unknown_port</c> (input-port id of no switch port), <c>runt</c>, <c>oversize</c>,
/// <c>bad_tag</c> (truncated tag, reserved VLAN 4095), <c>group_source</c> (source MAC is a
/// group address, IEEE 802-2014 8.2), <c>tagged_on_access</c>, <c>untagged_on_trunk</c> (trunk
/// without a native VLAN), <c>vlan_not_allowed</c> (tag of a VLAN the trunk does not carry),
/// <c>double_tagged</c> (a tag EtherType left after the port's own tag: stacked or service tags).
/// Counts per port (received, dropped) and per VLAN (received); read them with
/// <see cref="GetPortCounters"/> and <see cref="GetVlanCounters"/>.
/// </remarks>
[Stage("vlan_classifier", "Switch ingress: assigns each frame its VLAN from port mode and 802.1Q tag; moves the tag into metadata.",
    Accepts = typeof(Carries.Ethernet))]
public sealed partial class VlanClassifier : Stage<VlanClassifier.Output, VlanClassifier.Reason>
{
    private const int HeaderLength = 14;
    private const int TagLength = 4;
    private const int MacsLength = 12;

    // Replaced only by control messages, between batches (VlanClassifier.Control.cs).
    private SwitchPortTable _ports;
    private readonly int _mtu;
    private readonly int _minLength;

    // Worker-owned counters; read through the control mailbox.
    private readonly long[] _receivedByPort;
    private readonly long[] _droppedByPort;
    private readonly long[] _receivedByVlan = new long[4096];

    public VlanClassifier(VlanClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ports = SwitchPortTable.Create(options.Ports);
        var errors = new List<string>();
        if (options.Mtu is < 46 or > 65000)
        {
            errors.Add($"Mtu {options.Mtu} is out of range 46 to 65000");
        }
        if (options.MinFrameLength is < HeaderLength or > 64)
        {
            errors.Add($"MinFrameLength {options.MinFrameLength} is out of range {HeaderLength} to 64");
        }
        if (errors.Count > 0)
        {
            throw new SwitchConfigurationException(errors);
        }
        _mtu = options.Mtu;
        _minLength = options.MinFrameLength;
        _receivedByPort = new long[_ports.Count];
        _droppedByPort = new long[_ports.Count];
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "untagged frames with their VLAN in metadata (VlanTci, VlanStripped)")]
        Classified,
    }

    public enum Reason : byte
    {
        [DropReason("arrived with an input-port id that is no switch port", Severity.Error)]
        UnknownPort,
        [DropReason("frame shorter than the minimum frame length")]
        Runt,
        [DropReason("frame longer than the MTU allows")]
        Oversize,
        [DropReason("802.1Q tag truncated or carrying the reserved VLAN 4095")]
        BadTag,
        [DropReason("source MAC is a group address")]
        GroupSource,
        [DropReason("tagged frame on an access port", Severity.Info)]
        TaggedOnAccess,
        [DropReason("untagged frame on a trunk port without a native VLAN", Severity.Info)]
        UntaggedOnTrunk,
        [DropReason("tagged with a VLAN the trunk port does not carry", Severity.Info)]
        VlanNotAllowed,
        [DropReason("a tag EtherType (0x8100, 0x88A8, 0x9100) follows the port's own tag handling: stacked tags on a port without Q-in-Q transit")]
        DoubleTagged,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        SwitchPortTable ports = _ports;
        Next classified = To(Output.Classified);
        // A burst comes from one port, and its untagged frames all get that port's VLAN: after
        // one such frame took the full path, the next ones from the same port take the result
        // and are counted once per run instead of looking the port up and counting each.
        int runPort = -1;
        ushort runInputPort = 0;
        ushort runTci = 0;
        long run = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            ref PacketMeta meta = ref packet.Meta;
            bool plain = IsPlainUntagged(packet, ref meta);
            if (plain && runPort >= 0 && meta.InputPort == runInputPort)
            {
                meta.VlanTci = runTci;
                meta.Flags |= PacketFlags.VlanStripped | PacketFlags.L2Valid;
                meta.L2Offset = 0;
                nexts[i] = classified;
                run++;
                continue;
            }
            ushort inputPort = meta.InputPort;
            Next next = Classify(packet, ports);
            nexts[i] = next;
            if (plain && next == classified)
            {
                CountRun(runPort, runTci, run);
                runPort = ports.IndexOfId(inputPort);
                runInputPort = inputPort;
                runTci = meta.VlanTci;
                run = 0;
            }
        }
        CountRun(runPort, runTci, run);
    }

    /// <summary>
    /// Untagged (no tag EtherType of any kind), not stripped by a backend, well sized, unicast
    /// source: classified by its port alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe bool IsPlainUntagged(Packet packet, ref PacketMeta meta)
    {
        int length = meta.Length;
        byte* data = packet.DataPointer;
        return length >= _minLength && length - HeaderLength <= _mtu && (meta.Flags & PacketFlags.VlanStripped) == 0 &&
            (data[6] & 1) == 0 && !EtherType.IsVlanTag(BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(data + MacsLength, 2)));
    }

    private void CountRun(int port, ushort tci, long frames)
    {
        if (frames != 0)
        {
            _receivedByPort[port] += frames;
            _receivedByVlan[tci & 0x0FFF] += frames;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Next Classify(Packet packet, SwitchPortTable ports)
    {
        ref PacketMeta meta = ref packet.Meta;
        int port = ports.IndexOfId(meta.InputPort);
        if (port < 0)
        {
            return Drop(Reason.UnknownPort);
        }
        Reason reason = ClassifyOnPort(packet, ref meta, port, ports, out int vlan);
        if (reason != Passed)
        {
            _droppedByPort[port]++;
            return Drop(reason);
        }
        _receivedByPort[port]++;
        _receivedByVlan[vlan]++;
        return To(Output.Classified);
    }

    /// <summary>Not a drop reason: the frame passed.</summary>
    private const Reason Passed = (Reason)0xFF;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe Reason ClassifyOnPort(Packet packet, ref PacketMeta meta, int port, SwitchPortTable ports, out int vlan)
    {
        vlan = 0;
        int length = meta.Length;
        if (length < _minLength)
        {
            return Reason.Runt;
        }
        byte* data = packet.DataPointer;
        if ((data[6] & 1) != 0)
        {
            return Reason.GroupSource;
        }

        // Where is the tag: already in metadata (stripped by the backend), in the frame, or none.
        bool stripped = (meta.Flags & PacketFlags.VlanStripped) != 0;
        bool inFrame = !stripped && BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(data + MacsLength, 2)) == EtherType.Vlan;
        ushort tci = 0;
        if (inFrame)
        {
            if (length < HeaderLength + TagLength)
            {
                return Reason.BadTag;
            }
            tci = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(data + HeaderLength, 2));
        }
        else if (stripped)
        {
            tci = meta.VlanTci;
        }
        if (length - HeaderLength - (inFrame ? TagLength : 0) > _mtu)
        {
            return Reason.Oversize;
        }

        int vid = tci & 0x0FFF;
        if (vid == 0x0FFF)
        {
            return Reason.BadTag;
        }
        if (vid != 0)
        {
            // A VLAN tag (IEEE 802.1Q-2018 6.9.1 b): only trunks take it, and only for their VLANs.
            if (ports.ModeOf(port) == VlanPortMode.Access)
            {
                return Reason.TaggedOnAccess;
            }
            if (!ports.IsMember(port, vid))
            {
                return Reason.VlanNotAllowed;
            }
        }
        else
        {
            // Untagged or priority-tagged: the port's VLAN (PVID, 6.9.1 a), priority kept.
            vid = ports.UntaggedVlan(port);
            if (vid == 0)
            {
                return Reason.UntaggedOnTrunk;
            }
        }

        // The EtherType after the port's tag (or of the untagged frame) must not be a tag again:
        // a bridge behind an untagged egress would take that tag as the frame's VLAN (security
        // review H4). The frame is at least 14 bytes, and 18 when the tag is in it.
        ushort payloadType = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(data + MacsLength + (inFrame ? TagLength : 0), 2));
        if (EtherType.IsVlanTag(payloadType) && !ports.CarriesQinq(port))
        {
            return Reason.DoubleTagged;
        }

        if (inFrame)
        {
            // Close the gap: MACs move 4 bytes on and the data starts at them (memmove semantics).
            new ReadOnlySpan<byte>(data, MacsLength).CopyTo(new Span<byte>(data + TagLength, MacsLength));
            packet.TryTrimFront(TagLength);
        }
        meta.VlanTci = (ushort)((tci & 0xF000) | vid);
        meta.Flags |= PacketFlags.VlanStripped | PacketFlags.L2Valid;
        meta.L2Offset = 0;
        vlan = vid;
        return Passed;
    }
}
