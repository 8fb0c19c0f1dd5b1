using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Samples.GeneratorDemo;

/// <summary>
/// A user stage written in the sample: decrements the IPv4 TTL as a router does and sends the
/// frame on.
/// Output <c>out</c>: IPv4 frames, TTL decremented and header checksum patched.
/// Drop reasons: <c>truncated</c>, <c>not_ipv4</c>, <c>bad_header</c>, <c>ttl_expired</c>.
/// Follows RFC 1812 5.2.2 (header checks) and 5.3.1 (TTL).
/// </summary>
[Stage("ttl_filter", "Sample stage: decrements the IPv4 TTL, drops expired packets.", Accepts = typeof(Carries.Ethernet))]
public sealed class TtlFilter : Stage<TtlFilter.Output, TtlFilter.Reason>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.Ethernet), "IPv4 frames with TTL decremented")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("frame shorter than an Ethernet header and its VLAN tags")]
        Truncated,
        [DropReason("not an IPv4 frame", Severity.Info)]
        NotIpv4,
        [DropReason("IPv4 header fails the RFC 1812 5.2.2 checks (version, header length, total length)")]
        BadHeader,
        [DropReason("TTL reached zero (RFC 1812 5.3.1)", Severity.Info)]
        TtlExpired,
    }

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = Forward(packets[i].Data);
        }
    }

    private static Next Forward(Span<byte> frame)
    {
        // Validate, then trust: TryParse checks every length once, so the views below read and
        // write fields in place without further bounds checks or copies.
        if (!EthernetFrame.TryParse(frame, out EthernetFrame ethernet))
        {
            return Drop(Reason.Truncated);
        }
        if (ethernet.EtherType.Host != EtherType.Ipv4)
        {
            return Drop(Reason.NotIpv4);
        }
        if (!Ipv4Packet.TryParse(ethernet.Payload, out Ipv4Packet packet))
        {
            return Drop(Reason.BadHeader);
        }

        ref Ipv4Header header = ref packet.Header;
        // RFC 1812 5.3.1: a packet whose TTL would reach zero is not forwarded.
        if (header.TimeToLive <= 1)
        {
            return Drop(Reason.TtlExpired);
        }
        // Patches the checksum incrementally (RFC 1624): cheaper than summing the header again,
        // and a checksum that was wrong stays wrong, so the next hop still sees the corruption.
        header.DecrementTimeToLive();
        return To(Output.Out);
    }
}
