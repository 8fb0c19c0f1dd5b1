using System.Buffers.Binary;
using Flow.Stages.Ipv4;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Ipv4;

/// <summary>
/// ipv4_input: one scapy-built packet per RFC 1812 5.2.2 failure, per martian class (5.3.7) and
/// per broadcast rule (5.3.5, 5.3.4), each dropped with its own reason; the local and forward
/// outputs; padding trimmed; options kept.
/// </summary>
public sealed class Ipv4ValidatorTests : IDisposable
{
    private const string FromHost = "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10'";

    private readonly LeakCheckingPool _pool = new(256);
    private readonly StageHarness _harness;

    public Ipv4ValidatorTests() : this(new Ipv4ValidatorOptions { Interfaces = Interfaces() })
    {
    }

    private Ipv4ValidatorTests(Ipv4ValidatorOptions options) =>
        _harness = new StageHarness(new Ipv4Validator(options), "ipv4_input");

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    private Packet Pass(string port, byte[] frame, ushort inputPort = Lan)
    {
        _harness.Process([_pool.Classified(inputPort, frame)]);
        Assert.True(_harness.Stats.DroppedTotal == 0, _harness.Stats.ToString());
        return Assert.Single(_harness.Output(port));
    }

    private void AssertDropped(string reason, byte[] frame, ushort inputPort = Lan)
    {
        _harness.Process([_pool.Classified(inputPort, frame)]);
        Assert.Empty(_harness.Output("local"));
        Assert.Empty(_harness.Output("forward"));
        Assert.True(_harness.Stats.DroppedFor(reason) == 1, _harness.Stats.ToString());
        Assert.Equal(1, _harness.Stats.DroppedTotal);
    }

    [Fact]
    public void ValidTransitPacketLeavesOnForwardUnchangedWithOffsets()
    {
        byte[] frame = ScapyOne(FromHost + ", ttl=5)/UDP(sport=1000, dport=2000)/Raw(b'x'*30)");
        Packet packet = Pass("forward", frame);
        Assert.Equal(frame, packet.Data.ToArray());
        Assert.Equal((14, 34), (packet.Meta.L3Offset, packet.Meta.L4Offset));
        Assert.True((packet.Meta.Flags & PacketFlags.L3ChecksumGood) != 0);
    }

    [Fact]
    public void EthernetPaddingIsTrimmedToTheTotalLength()
    {
        // A 28-byte ICMP echo in a minimum 60-byte frame (research 1.2 B1).
        byte[] frame = ScapyOne(FromHost + ")/ICMP()/Padding(load=b'\\0'*18)");
        Assert.Equal(60, frame.Length);
        Packet packet = Pass("forward", frame);
        Assert.Equal(14 + 28, packet.Length);
    }

    [Fact]
    public void OptionsAreLegalAndKeptByteForByte()
    {
        byte[] frame = ScapyOne(FromHost + ", options=[IPOption_RR(routers=['192.0.2.9']), IPOption_Router_Alert()])/ICMP()");
        Packet packet = Pass("forward", frame);
        Assert.Equal(frame, packet.Data.ToArray());
        Assert.Equal(14 + (frame[14] & 0xF) * 4, packet.Meta.L4Offset);
    }

    [Fact]
    public void PacketForAnyRouterAddressIsLocal()
    {
        byte[][] frames = Scapy("[Ether(src=H, dst=L)/IP(src='10.0.0.10', dst=d)/ICMP() for d in ('10.0.0.1', '192.0.2.1', '203.0.113.1')]");
        _harness.Process([.. frames.Select(f => _pool.Classified(Lan, f))]);
        Assert.Equal(3, _harness.Stats.OutOn("local"));
    }

    [Theory]
    [InlineData("Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='10.0.0.10', dst='255.255.255.255')/UDP(dport=67)")]
    [InlineData("Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='0.0.0.0', dst='255.255.255.255')/UDP(sport=68, dport=67)")]
    [InlineData("Ether(src=H, dst='ff:ff:ff:ff:ff:ff')/IP(src='10.0.0.10', dst='10.0.0.255')/ICMP()")]
    [InlineData("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='192.0.2.255')/ICMP()")]
    [InlineData("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='203.0.113.3')/ICMP()")]
    public void BroadcastsAreDeliveredLocallyAndNeverForwarded(string frame) => Pass("local", ScapyOne(frame));

    [Fact]
    public void LocalDeliveryKeepsTheTtl()
    {
        Packet packet = Pass("local", ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='10.0.0.1', ttl=1)/ICMP()"));
        Assert.Equal(1, packet.Data[14 + 8]);
    }

    [Fact]
    public void ShorterThanTwentyBytesIsTooShort() =>
        AssertDropped("too_short", ScapyOne("Ether(src=H, dst=L, type=0x800)/Raw(b'\\x45' + b'\\0'*18)"));

    [Fact]
    public void VersionOtherThanFourIsBadVersion() => AssertDropped("bad_version", ScapyOne(FromHost + ", version=5)/ICMP()"));

    [Fact]
    public void IhlBelowFiveIsBadHeaderLength() => AssertDropped("bad_header_length", ScapyOne(FromHost + ", ihl=4)/ICMP()"));

    [Fact]
    public void HeaderLongerThanTheFrameIsTruncated() =>
        AssertDropped("truncated", ScapyOne("Ether(src=H, dst=L, type=0x800)/Raw(bytes(IP(src='10.0.0.10', dst='198.51.100.10', ihl=15))[:40])"));

    [Fact]
    public void BadHeaderChecksumIsDropped() => AssertDropped("bad_checksum", ScapyOne(FromHost + ", chksum=0x1234)/ICMP()"));

    [Fact]
    public void TotalLengthBelowTheHeaderIsBadTotalLength() => AssertDropped("bad_total_length", ScapyOne(FromHost + ", len=19)/ICMP()"));

    [Fact]
    public void TotalLengthBeyondTheFrameIsTruncated() => AssertDropped("truncated", ScapyOne(FromHost + ", len=200)/ICMP()"));

    [Fact]
    public void OptionRunningPastTheHeaderIsBadOptions()
    {
        // IHL 6: four option bytes, made a record-route option claiming 11 bytes; checksum fixed.
        byte[] frame = ScapyOne(FromHost + ", options=[IPOption_NOP()]*4)/ICMP()");
        Assert.Equal(0x46, frame[14]);
        frame[34] = 0x07;
        frame[35] = 11;
        frame[36] = 4;
        frame[37] = 0;
        frame[24] = frame[25] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(24), Flow.Protocols.Checksum.Compute(frame.AsSpan(14, 24)).Host);
        AssertDropped("bad_options", frame);
    }

    [Theory]
    [InlineData("IPOption_LSRR(routers=['192.0.2.9'])")]
    [InlineData("IPOption_SSRR(routers=['192.0.2.9'])")]
    public void SourceRoutedPacketsAreDroppedByDefault(string option) =>
        AssertDropped("source_route", ScapyOne(FromHost + $", options=[IPOption_NOP(), {option}])/ICMP()"));

    [Fact]
    public void SourceRoutedPacketsPassWhenAccepted()
    {
        using var test = new Ipv4ValidatorTests(new Ipv4ValidatorOptions { Interfaces = Interfaces(), AcceptSourceRoute = true });
        test.Pass("forward", ScapyOne(FromHost + ", options=[IPOption_LSRR(routers=['192.0.2.9'])])/ICMP()"));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("127.0.0.1")]
    [InlineData("224.0.0.1")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.1")]      // the router's own
    [InlineData("192.0.2.255")]   // an attached broadcast
    [InlineData("169.254.7.7")]   // link-local, when forwarding
    public void MartianSourcesAreDropped(string source) =>
        AssertDropped("martian_source", ScapyOne($"Ether(src=H, dst=L)/IP(src='{source}', dst='198.51.100.10')/ICMP()"));

    [Fact]
    public void MartianSourceToTheRouterIsDroppedToo() =>
        AssertDropped("martian_source", ScapyOne("Ether(src=H, dst=L)/IP(src='127.0.0.1', dst='10.0.0.1')/ICMP()"));

    [Fact]
    public void LinkLocalSourceMayReachTheRouterItself() =>
        Pass("local", ScapyOne("Ether(src=H, dst=L)/IP(src='169.254.7.7', dst='10.0.0.1')/ICMP()"));

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("127.0.0.1")]
    [InlineData("240.0.0.1")]
    [InlineData("254.255.255.255")]
    [InlineData("169.254.7.7")]
    public void MartianDestinationsAreDropped(string destination) =>
        AssertDropped("martian_destination", ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='{destination}')/ICMP()"));

    [Theory]
    [InlineData("224.0.0.5")]
    [InlineData("239.1.2.3")]
    public void MulticastIsNotRouted(string group) =>
        AssertDropped("multicast", ScapyOne($"Ether(src=H, dst='01:00:5e:00:00:05')/IP(src='10.0.0.10', dst='{group}')/UDP()"));

    [Theory]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("01:00:5e:00:00:01")]
    public void UnicastIpInALinkLayerBroadcastIsNotForwarded(string mac) =>
        AssertDropped("link_broadcast", ScapyOne($"Ether(src=H, dst='{mac}')/IP(src='10.0.0.10', dst='198.51.100.10')/ICMP()"));

    [Fact]
    public void DirectedBroadcastOfAnotherSubnetIsForwardedAsUnicast() =>
        // Not one of ours: the router cannot know it is a broadcast (RFC 2644 covers attached ones).
        Pass("forward", ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.255')/ICMP()"));

    [Fact]
    public void ALyingTotalLengthNeverReadsPastTheFrame()
    {
        // Total Length 60 in a frame that holds 20 bytes of IP, checksum valid.
        byte[] frame = ScapyOne(FromHost + ", len=60)");
        Assert.Equal(34, frame.Length);
        AssertDropped("truncated", frame);
        Assert.Equal(60, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(16)));
    }
}
