using System.Runtime.CompilerServices;
using Flow.Protocols.Ipv4;
using Flow.Stages.Icmp;

namespace Flow.Stages.Ipv4;

/// <summary>
/// The forwarding step of the router: decrements TTL and patches the header checksum
/// incrementally (RFC 1812 5.3.1; RFC 1624 eqn. 3, which never turns a checksum a full
/// recomputation would give as 0x0000 into 0xFFFF). A packet whose TTL would reach zero is
/// not forwarded but handed to <c>icmp_error</c> for a time exceeded (11/0).
/// </summary>
/// <remarks>
/// Input: packets to forward, validated by <c>ipv4_input</c> (L3 offset at the IPv4 header);
/// it does not matter whether the route lookup ran before or after. Local packets must not pass
/// here (RFC 1812 5.3.1: TTL is not decremented for local delivery).
/// Output <c>forwarded</c>: TTL one less, checksum valid, options and everything else
/// untouched. Output <c>time_exceeded</c>: TTL ≤ 1, the packet unchanged with
/// <see cref="IcmpErrorRequest.TimeExceeded"/> in <see cref="PacketMeta.UserWord"/>; connect it
/// to <c>icmp_error</c>. Drop <c>truncated</c>: fewer than 20 bytes at the L3 offset (a packet
/// that skipped <c>ipv4_input</c>).
/// </remarks>
[Stage("ipv4_forward", "Router forwarding step: TTL-1 with an incremental checksum update; TTL <= 1 goes to time_exceeded.",
    Accepts = typeof(Carries.Ipv4))]
public sealed class Ipv4Forwarder : Stage<Ipv4Forwarder.Output, Ipv4Forwarder.Reason>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ipv4), "packets with TTL decremented and the checksum updated")]
        Forwarded,
        [Port(typeof(Carries.Ipv4), "packets whose TTL expired, unchanged, with a time-exceeded request in UserWord for icmp_error")]
        TimeExceeded,
    }

    public enum Reason : byte
    {
        [DropReason("fewer than 20 bytes at the L3 offset", Severity.Error)]
        Truncated,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Forward(packets[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Next Forward(Packet packet)
    {
        ref PacketMeta meta = ref packet.Meta;
        int l3 = meta.L3Offset;
        if (meta.Length - l3 < Ipv4Header.Size)
        {
            return Drop(Reason.Truncated);
        }
        ref Ipv4Header header = ref Unsafe.AsRef<Ipv4Header>(packet.DataPointer + l3);
        // RFC 1812 5.3.1: a router never forwards a packet with TTL 0, and one that arrives with
        // TTL 1 would leave with 0.
        if (header.TimeToLive <= 1)
        {
            meta.UserWord = IcmpErrorRequest.TimeExceeded;
            return To(Output.TimeExceeded);
        }
        header.DecrementTimeToLive();
        return To(Output.Forwarded);
    }
}
