using Flow.Protocols.Ethernet;
using Flow.Protocols.Icmp;
using Flow.Protocols.Ipv4;
using Flow.Protocols.Tests.Infrastructure;
using static Flow.Protocols.Tests.Builders.TestFrames;

namespace Flow.Protocols.Tests.Builders;

/// <summary>
/// The echo reply's incrementally patched ICMP checksum verifies for every request, including
/// the all-zero message where RFC 1624 eqn. 3 alone gives 0x0000 (whose sum is +0 and which
/// Linux's icmp_rcv rejects); scapy's recomputation is the oracle.
/// </summary>
public sealed class IcmpEchoReplyChecksumTests
{
    private static Span<byte> Icmp(byte[] frame) => frame.AsSpan(EthernetHeader.Size + Ipv4Header.Size);

    private static byte[] Reply(byte[] request)
    {
        Assert.True(Ipv4Packet.TryParse(request.AsSpan(EthernetHeader.Size), out Ipv4Packet ip));
        Assert.True(IcmpBuilder.TryTurnEchoRequestIntoReply(ip, IpA));
        return request;
    }

    [Fact]
    public void AnAllZeroReplyCarriesFfffNotZero()
    {
        byte[] reply = Reply(EchoRequest(0, 0, []));
        Assert.Equal(0xFFFF, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(Icmp(reply)[2..]));
        Assert.True(Checksum.IsValid(Icmp(reply)));
    }

    [Fact]
    public void RepliesVerifyForManyRequests()
    {
        var random = new Random(792);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data = new byte[random.Next(0, 64)];
            random.NextBytes(data);
            if (i % 3 == 0)
            {
                Array.Clear(data);
            }
            byte[] reply = Reply(EchoRequest((ushort)random.Next(i % 5 == 0 ? 1 : 65536), (ushort)random.Next(i % 7 == 0 ? 1 : 65536), data));
            Assert.True(Checksum.IsValid(Icmp(reply)), Convert.ToHexString(Icmp(reply)));
        }
    }

    [Fact]
    public void ScapyAgreesWithTheAllZeroReplysChecksum()
    {
        byte[] reply = Reply(EchoRequest(0, 0, []));
        string hex = Convert.ToHexString(Icmp(reply));
        string verdict = ExternalTools.Run(ExternalTools.PythonWithScapy, "-c",
            $"from scapy.all import *\nc=ICMP(bytes.fromhex('{hex}'))\ns=c.chksum\ndel c.chksum\nprint(s == ICMP(bytes(c)).chksum, hex(s))").Trim();
        Assert.Equal("True 0xffff", verdict);
    }
}
