using System.Buffers.Binary;

namespace Flow.Samples.GeneratorDemo;

/// <summary>
/// A user stage written in the sample: decrements the IPv4 TTL with an RFC 1624 incremental
/// checksum update and sends the packet on; expired or non-IPv4 packets are dropped and counted.
/// Output <c>out</c>: forwarded IPv4 frames.
/// Drop reasons: <c>not_ipv4</c>, <c>ttl_expired</c>, <c>truncated</c>.
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
        [DropReason("not an IPv4 frame", Severity.Info)]
        NotIpv4,
        [DropReason("TTL reached zero (RFC 1812 5.3.1)", Severity.Info)]
        TtlExpired,
        [DropReason("frame shorter than Ethernet + IPv4 headers")]
        Truncated,
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
        if (frame.Length < 34)
        {
            return Drop(Reason.Truncated);
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12)) != 0x0800)
        {
            return Drop(Reason.NotIpv4);
        }
        byte ttl = frame[22];
        if (ttl <= 1)
        {
            return Drop(Reason.TtlExpired);
        }
        frame[22] = (byte)(ttl - 1);
        // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'); TTL is the high byte of the 16-bit word it shares with the protocol.
        ushort oldWord = (ushort)(ttl << 8 | frame[23]);
        ushort newWord = (ushort)((ttl - 1) << 8 | frame[23]);
        uint sum = (uint)(~BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(24)) & 0xFFFF) + (uint)(~oldWord & 0xFFFF) + newWord;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(24), (ushort)~sum);
        return To(Output.Out);
    }
}
