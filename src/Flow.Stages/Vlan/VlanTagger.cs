using System.Buffers.Binary;
using Flow.Protocols.Ethernet;

namespace Flow.Stages.Vlan;

/// <summary>
/// Egress of a VLAN-aware switch port: puts the 802.1Q tag back into frames that should leave
/// tagged. A frame leaves tagged when <see cref="PacketFlags.VlanStripped"/> is set — the tag
/// is in <see cref="PacketMeta.VlanTci"/> and not in the data, the NIC VLAN-insert offload's
/// contract — and untagged otherwise. The <see cref="Switching.L2Forwarder"/> sets or clears
/// the flag per copy from the egress port's mode, so one tagger per port needs no
/// configuration and follows mode changes without being told.
/// </summary>
/// <remarks>
/// Output <c>out</c>: frames as they go on the wire. Drop <c>no_headroom</c>: no 4 bytes before
/// the data to push the tag into (pools keep 64 B of headroom unless made without). Drop
/// <c>double_tagged</c>: a frame leaving untagged whose EtherType is a tag (0x8100, 0x88A8,
/// 0x9100) — the next bridge would put it into the VLAN of that inner tag (security review H4);
/// only frames from a Q-in-Q transit trunk can be such, and they may leave only tagged.
/// </remarks>
[Stage("vlan_tagger", "Switch egress: re-inserts the 802.1Q tag kept in metadata for frames leaving tagged.",
    Accepts = typeof(Carries.Ethernet))]
public sealed class VlanTagger : Stage<VlanTagger.Output, VlanTagger.Reason>
{
    private const int TagLength = 4;
    private const int MacsLength = 12;

    // Worker-owned counters; read through the control mailbox.
    private long _tagged;
    private long _untagged;

    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "frames as they go on the wire, tagged or untagged")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("no headroom to push the 802.1Q tag into", Severity.Error)]
        NoHeadroom,
        [DropReason("would leave untagged with a tag EtherType (0x8100, 0x88A8, 0x9100) first: the next bridge would take that tag as its VLAN")]
        DoubleTagged,
    }

    /// <summary>Frames sent tagged.</summary>
    public long Tagged => _tagged;

    /// <summary>Frames sent untagged.</summary>
    public long Untagged => _untagged;

    public override unsafe void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        long tagged = 0;
        long untagged = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            Packet packet = packets[i];
            ref PacketMeta meta = ref packet.Meta;
            byte* data = packet.DataPointer;
            if ((meta.Flags & PacketFlags.VlanStripped) == 0)
            {
                if (packet.Length >= MacsLength + 2 &&
                    EtherType.IsVlanTag(BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(data + MacsLength, 2))))
                {
                    nexts[i] = Drop(Reason.DoubleTagged);
                    continue;
                }
                untagged++;
                nexts[i] = To(Output.Out);
                continue;
            }
            if (packet.Length < MacsLength || !packet.TryPrepend(TagLength))
            {
                nexts[i] = Drop(Reason.NoHeadroom);
                continue;
            }
            data = packet.DataPointer;
            // MACs move 4 bytes back (memmove semantics), the tag goes where they were.
            new ReadOnlySpan<byte>(data + TagLength, MacsLength).CopyTo(new Span<byte>(data, MacsLength));
            BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(data + MacsLength, 2), EtherType.Vlan);
            BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(data + MacsLength + 2, 2), meta.VlanTci);
            meta.Flags &= ~PacketFlags.VlanStripped;
            meta.L2Offset = 0; // the tag went in after the MACs, not before the frame
            tagged++;
            nexts[i] = To(Output.Out);
        }
        _tagged += tagged;
        _untagged += untagged;
    }
}
