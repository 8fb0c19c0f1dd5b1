using FsCheck.Xunit;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Udp;

namespace Flow.Protocols.Tests.Properties;

/// <summary>RFC 1624 incremental updates agree with a full recomputation (FsCheck).</summary>
public sealed class IncrementalChecksumProperties
{
    [Property(MaxTest = 1000)]
    public bool TtlDecrementMatchesFullRecomputation(byte ttl, byte protocol, byte tos, ushort id, uint source, uint destination, ushort payload)
    {
        byte[] header = new byte[Ipv4Header.Size];
        Ipv4Builder.TryWriteHeader(header, new Ipv4Address(new NetU32(source)), new Ipv4Address(new NetU32(destination)), protocol, payload % 60000, (byte)Math.Max(ttl, (byte)2), id, typeOfService: tos);
        Ipv4Packet.TryParse(header, out _);
        ref Ipv4Header h = ref Internal.Wire.As<Ipv4Header>(header);
        h.DecrementTimeToLive();
        NetU16 incremental = h.HeaderChecksum;
        h.HeaderChecksum = default;
        return Checksum.Compute(header) == incremental;
    }

    [Property(MaxTest = 1000)]
    public bool NatRewriteOfAddressAndPortMatchesFullRecomputation(uint source, uint destination, uint newSource, ushort sourcePort, ushort newSourcePort, byte[] payload)
    {
        payload ??= [];
        var src = new Ipv4Address(new NetU32(source));
        var dst = new Ipv4Address(new NetU32(destination));
        var translated = new Ipv4Address(new NetU32(newSource));
        byte[] packet = new byte[Ipv4Header.Size + UdpHeader.Size + payload.Length];
        payload.CopyTo(packet, Ipv4Header.Size + UdpHeader.Size);
        UdpBuilder.TryWrite(packet.AsSpan(Ipv4Header.Size), sourcePort, 53, payload.Length, src, dst);
        Ipv4Builder.TryWriteHeader(packet, src, dst, IpProtocol.Udp, UdpHeader.Size + payload.Length);
        Ipv4Packet.TryParse(packet, out Ipv4Packet ip);
        UdpDatagram.TryParse(ip.Payload, out UdpDatagram udp);

        // Source NAT: the address is in the IP header and in the UDP pseudo-header, the port in UDP (RFC 3022 4.2).
        ref UdpHeader u = ref udp.Header;
        NetU16 udpChecksum = Checksum.Update(u.Checksum, src.Value, translated.Value);
        udpChecksum = Checksum.Update(udpChecksum, u.SourcePort, new NetU16(newSourcePort));
        u.SourcePort = new NetU16(newSourcePort);
        ip.Header.RewriteSource(translated);
        NetU16 ipChecksum = ip.Header.HeaderChecksum;

        ip.UpdateChecksum();
        u.Checksum = default;
        ushort full = Checksum.Sum(udp.Bytes, Checksum.PseudoHeaderSum(translated, dst, IpProtocol.Udp, (ushort)udp.Bytes.Length));
        NetU16 fullUdp = Checksum.Finish(full);

        // A full computation that yields 0 is sent as 0xFFFF (RFC 768); eqn. 3 keeps 0xFFFF for it too.
        bool udpAgrees = udpChecksum == fullUdp || (fullUdp.Raw == 0 && udpChecksum.Raw == 0xFFFF);
        return ipChecksum == ip.Header.HeaderChecksum && udpAgrees;
    }

    [Property(MaxTest = 1000)]
    public bool SumOfConcatenationIsOnesComplementSumOfEvenParts(byte[] first, byte[] second)
    {
        first ??= [];
        second ??= [];
        byte[] even = first.Length % 2 == 0 ? first : first[..^1];
        return Checksum.Sum([.. even, .. second]) == Checksum.Add(Checksum.Sum(even), Checksum.Sum(second));
    }
}
