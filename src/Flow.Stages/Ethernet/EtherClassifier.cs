using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Flow.Protocols.Ethernet;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Ethernet;

/// <summary>
/// First stage of the router: sorts received frames by destination MAC and EtherType, and sets
/// their L2 and L3 offsets. A frame is for the router when its destination is the receiving
/// interface's MAC (the interface whose <see cref="RouterInterfaceOptions.Id"/> is the frame's
/// <see cref="PacketMeta.InputPort"/>), broadcast, or a group address; unicast to any other MAC
/// is another host's (AF_PACKET, TAP and memif deliver those too) and is dropped.
/// </summary>
/// <remarks>
/// Output <c>ipv4</c>: EtherType 0x0800, L3 offset at the IPv4 header (not yet validated: send
/// it to <c>ipv4_input</c>). Output <c>arp</c>: EtherType 0x0806, L3 offset at the ARP header.
/// Both leave with L2 offset 0 and <see cref="PacketFlags.L2Valid"/> and
/// <see cref="PacketFlags.L3Valid"/> set; the Ethernet header stays in front of L3, so later
/// stages can still tell a link-layer broadcast or multicast from unicast (RFC 1812 5.3.4,
/// 4.3.2.7) by the group bit at the L2 offset.
/// Drops: <c>runt</c> (shorter than an Ethernet header), <c>unknown_port</c> (input-port id of
/// no interface), <c>group_source</c> (source MAC is a group address, IEEE 802-2014 8.2),
/// <c>other_host</c> (unicast to a MAC that is not the receiving interface's — grout
/// <c>ip_input_other_host</c>), <c>vlan_tagged</c> (an 802.1Q, 802.1ad or 0x9100 tag in the
/// frame, or one a backend stripped with a VLAN id: the router has no VLAN sub-interfaces;
/// a priority tag stripped by a backend, VLAN 0, is accepted as untagged, IEEE 802.1Q-2018
/// 6.9.1), <c>other_ethertype</c> (anything else, IPv6 included).
/// Frames are not length-checked against the MTU here: <c>ipv4_input</c> checks IPv4 lengths.
/// </remarks>
[Stage("eth_classify", "Router ingress: keeps frames for the receiving interface's MAC, broadcast or multicast; sorts them by EtherType (IPv4, ARP).",
    Accepts = typeof(Carries.Ethernet))]
public sealed class EtherClassifier : Stage<EtherClassifier.Output, EtherClassifier.Reason>
{
    private const int EtherTypeOffset = 12;

    // Replaced only between batches (by a control message, when interfaces change).
    private RouterInterfaceTable _interfaces;

    public EtherClassifier(EtherClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _interfaces = RouterInterfaceTable.Create(options.Interfaces);
    }

    public EtherClassifier(RouterInterfaceTable interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        _interfaces = interfaces;
    }

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "IPv4 frames for the router (own MAC, broadcast, multicast), L3 offset at the unvalidated IPv4 header")]
        Ipv4,
        [Port(typeof(Carries.Arp), "ARP frames for the router (own MAC, broadcast, multicast), L3 offset at the ARP header")]
        Arp,
    }

    public enum Reason : byte
    {
        [DropReason("frame shorter than an Ethernet header")]
        Runt,
        [DropReason("arrived with an input-port id that is no router interface", Severity.Error)]
        UnknownPort,
        [DropReason("source MAC is a group address")]
        GroupSource,
        [DropReason("unicast to another host's MAC", Severity.Info)]
        OtherHost,
        [DropReason("carries a VLAN tag: the router has no VLAN sub-interfaces", Severity.Info)]
        VlanTagged,
        [DropReason("EtherType neither IPv4 nor ARP", Severity.Info)]
        OtherEthertype,
    }

    /// <summary>The interface table in use.</summary>
    public RouterInterfaceTable Interfaces => _interfaces;

    /// <summary>Replaces the interface table; a control message, run between batches.</summary>
    public void SetInterfaces(RouterInterfaceTable interfaces)
    {
        ArgumentNullException.ThrowIfNull(interfaces);
        _interfaces = interfaces;
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        RouterInterfaceTable interfaces = _interfaces;
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Classify(packets[i], interfaces);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Next Classify(Packet packet, RouterInterfaceTable interfaces)
    {
        ref PacketMeta meta = ref packet.Meta;
        if (meta.Length < EthernetHeader.Size)
        {
            return Drop(Reason.Runt);
        }
        int index = interfaces.IndexOfId(meta.InputPort);
        if (index < 0)
        {
            return Drop(Reason.UnknownPort);
        }
        byte* data = packet.DataPointer;
        if ((data[6] & 1) != 0)
        {
            return Drop(Reason.GroupSource);
        }
        // Group bit clear: unicast, which must be ours. Broadcast and multicast go on to the
        // EtherType; what a group frame may do is decided per protocol (ipv4_input, arp).
        if ((data[0] & 1) == 0 && RouterInterfaceTable.MacKey(data) != interfaces.MacKeyOf(index))
        {
            return Drop(Reason.OtherHost);
        }
        if ((meta.Flags & PacketFlags.VlanStripped) != 0 && (meta.VlanTci & 0x0FFF) != 0)
        {
            return Drop(Reason.VlanTagged);
        }
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(data + EtherTypeOffset, 2));
        Output output;
        if (type == EtherType.Ipv4)
        {
            output = Output.Ipv4;
        }
        else if (type == EtherType.Arp)
        {
            output = Output.Arp;
        }
        else
        {
            return Drop(EtherType.IsVlanTag(type) ? Reason.VlanTagged : Reason.OtherEthertype);
        }
        meta.L2Offset = 0;
        meta.L3Offset = EthernetHeader.Size;
        meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid;
        return To(output);
    }
}
