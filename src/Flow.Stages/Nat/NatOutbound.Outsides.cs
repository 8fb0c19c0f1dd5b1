using Flow.Protocols.Ipv4;
using Flow.Stages.Routing;

namespace Flow.Stages.Nat;

// A router with several NATs, one per WAN ("source in, source out"): a packet about to leave by
// any of their interfaces belongs to the NAT that already translates its conversation, whatever
// interface routing chose; a new conversation belongs to the NAT of the interface it was routed
// to. Every nat_out of the chain asks the same question of the same tables and gets the same
// answer, so exactly one translates the packet, in whichever order they are chained; the owner
// sends a packet routed elsewhere to its own gateway. One NAT never comes here.
public sealed unsafe partial class NatOutbound
{
    private void ProcessAmong(NatOutside[] outsides, ReadOnlySpan<Packet> packets, Span<Next> nexts, NextHop* hops, uint capacity, long now)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            ref PacketMeta meta = ref packets[i].Meta;
            uint id = meta.NextHop;
            NatOutside? routed = id < capacity ? _tables.OutsideOn(hops[id].Port) : null;
            if (routed is null || OwnerOf(packets[i], outsides, routed, now) != _outside)
            {
                nexts[i] = To(Output.Out);
                continue;
            }
            if (routed != _outside)
            {
                if (_returnHop == 0)
                {
                    nexts[i] = Drop(Reason.NoReturnRoute);
                    continue;
                }
                meta.NextHop = _returnHop;
                _counters.Steered++;
            }
            nexts[i] = Translate(packets[i], now);
        }
    }

    /// <summary>The NAT whose conversation the packet is, else the one of the interface it was routed to (a malformed packet: that one, which drops it).</summary>
    private static NatOutside OwnerOf(Packet packet, NatOutside[] outsides, NatOutside routed, long now)
    {
        int l3 = packet.Meta.L3Offset;
        Span<byte> data = packet.Data;
        if ((uint)l3 > (uint)data.Length || !Ipv4Packet.TryParse(data.Slice(l3), out Ipv4Packet ip))
        {
            return routed;
        }
        if (routed.Owns(ref ip.Header, ip.Payload, now))
        {
            return routed;
        }
        foreach (NatOutside outside in outsides)
        {
            if (outside != routed && outside.Owns(ref ip.Header, ip.Payload, now))
            {
                return outside;
            }
        }
        return routed;
    }
}
