using System.Buffers.Binary;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Icmp;

/// <summary>
/// icmp_error: the errors it writes, checked by scapy (checksums recomputed by scapy, fields
/// dissected by scapy); one test per RFC 1812 4.3.2.7 suppression and per other drop reason.
/// Rate limits are in <see cref="IcmpErrorRateLimitTests"/>.
/// </summary>
public sealed class IcmpErrorSenderTests : IDisposable
{
    private const string Transit = "Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=1";

    private readonly LeakCheckingPool _pool = new(256);
    private readonly ManualClock _clock = new();
    private readonly StageHarness _harness;

    public IcmpErrorSenderTests()
    {
        // Limits off: these tests are about what is sent, not how often.
        _harness = new StageHarness(new IcmpErrorSender(new IcmpErrorSenderOptions
        {
            Interfaces = [.. Interfaces(), new RouterInterfaceOptions { Name = "bare", Id = 5, Mac = "02:00:00:00:05:01" }],
            GlobalPerSecond = 0,
            PerDestinationInterval = TimeSpan.Zero,
        }, _clock), "icmp_error");
    }

    private IcmpErrorSender Sender => (IcmpErrorSender)_harness.Stage;

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    private byte[] Error(byte[] offending, ulong request, ushort port = Lan)
    {
        Packet packet = _pool.Classified(port, offending);
        packet.Meta.UserWord = request;
        _harness.Process([packet]);
        Assert.True(_harness.Stats.DroppedTotal == 0, _harness.Stats.ToString());
        Packet[] errors = _harness.Take("error");
        Packet error = Assert.Single(errors);
        Assert.Equal((0, 14, 34), (error.Meta.L2Offset, error.Meta.L3Offset, error.Meta.L4Offset));
        Assert.Equal(0ul, error.Meta.UserWord);
        byte[] bytes = error.Data.ToArray();
        PacketPools.Free(errors);
        return bytes;
    }

    private void AssertSuppressed(string reason, byte[] offending, ulong request = IcmpErrorRequest.TimeExceeded, ushort port = Lan)
    {
        Packet packet = _pool.Classified(port, offending);
        packet.Meta.UserWord = request;
        _harness.Process([packet]);
        Assert.Empty(_harness.Output("error"));
        Assert.True(_harness.Stats.DroppedFor(reason) == 1, _harness.Stats.ToString());
        Assert.Equal(1, _harness.Stats.DroppedTotal);
    }

    /// <summary>
    /// scapy's reading of an error: addresses, IP length, TOS, TTL, ICMP type and code, whether
    /// scapy's own recomputation of both checksums matches, the quoted addresses, next-hop MTU.
    /// </summary>
    private static string Scapy(byte[] error) =>
        Python($"p=Ether(bytes.fromhex('{Convert.ToHexString(error)}'))\n" +
            "i=p[IP]; c=p[ICMP]\n" +
            "q=IP(bytes(i)); ipc=q.chksum; icc=q[ICMP].chksum; del q.chksum; del q[ICMP].chksum; r=IP(bytes(q))\n" +
            "print(i.src, i.dst, i.len, i.tos, i.ttl, c.type, c.code, ipc == r.chksum, icc == r[ICMP].chksum, p[IPerror].src, p[IPerror].dst, c.nexthopmtu if c.code == 4 else 0)\n").Trim();

    [Fact]
    public void TimeExceededComesFromTheInputInterfaceAndQuotesUpTo576Bytes()
    {
        byte[] offending = ScapyOne(Transit + ")/UDP(sport=40000, dport=33434)/Raw(bytes(range(256))*6)");
        Assert.True(offending.Length > 14 + 576);
        byte[] error = Error(offending, IcmpErrorRequest.TimeExceeded);
        Assert.Equal(14 + 576, error.Length);
        Assert.Equal("10.0.0.1 10.0.0.10 576 192 64 11 0 True True 10.0.0.10 198.51.100.10 0", Scapy(error));
        // The quote is the offending packet's first 548 bytes, header first.
        Assert.Equal(offending.AsSpan(14, 548).ToArray(), error.AsSpan(42).ToArray());
        Assert.Equal(Mac(HostMac), new Flow.Protocols.Ethernet.MacAddress(error));
        Assert.Equal(Mac(LanMac), new Flow.Protocols.Ethernet.MacAddress(error.AsSpan(6)));
        Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(error.AsSpan(12)));
        Assert.Equal(1, Sender.GetCounters().TimeExceeded);
    }

    [Fact]
    public void ASmallPacketIsQuotedWhole()
    {
        byte[] offending = ScapyOne(Transit + ")/ICMP(id=7, seq=1)");
        byte[] error = Error(offending, IcmpErrorRequest.TimeExceeded);
        Assert.Equal(14 + 28 + 28, error.Length);
        Assert.Equal(offending.AsSpan(14).ToArray(), error.AsSpan(42).ToArray());
        Assert.Equal("10.0.0.1 10.0.0.10 56 192 64 11 0 True True 10.0.0.10 198.51.100.10 0", Scapy(error));
    }

    [Fact]
    public void OptionsOfTheOffendingHeaderAreQuoted()
    {
        byte[] offending = ScapyOne(Transit + ", options=[IPOption_RR(routers=['0.0.0.0']*3)])/UDP()/Raw(b'q'*40)");
        byte[] error = Error(offending, IcmpErrorRequest.TimeExceeded);
        Assert.Equal(offending.AsSpan(14).ToArray(), error.AsSpan(42).ToArray());
        Assert.EndsWith("True True 10.0.0.10 198.51.100.10 0", Scapy(error), StringComparison.Ordinal);
    }

    [Fact]
    public void AnErrorAboutAPacketFromTheWanComesFromTheWansPrimaryAddress()
    {
        byte[] offending = ScapyOne("Ether(src='02:00:00:00:09:09', dst=W)/IP(src='198.51.100.10', dst='10.0.0.10', ttl=1)/ICMP()");
        Assert.StartsWith("192.0.2.1 198.51.100.10 56 ", Scapy(Error(offending, IcmpErrorRequest.TimeExceeded, Wan)), StringComparison.Ordinal);
    }

    [Fact]
    public void FragmentationNeededCarriesTheNextHopMtu()
    {
        byte[] offending = ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', flags='DF')/UDP()/Raw(b'x'*1400)");
        string fields = Scapy(Error(offending, IcmpErrorRequest.FragmentationNeeded(1280)));
        Assert.Equal("10.0.0.1 10.0.0.10 576 192 64 3 4 True True 10.0.0.10 198.51.100.10 1280", fields);
        Assert.Equal(1, Sender.GetCounters().FragmentationNeeded);
    }

    [Theory]
    [InlineData(IcmpErrorRequest.NetUnreachable, 3, 0)]
    [InlineData(IcmpErrorRequest.HostUnreachable, 3, 1)]
    [InlineData(IcmpErrorRequest.ProtocolUnreachable, 3, 2)]
    [InlineData(IcmpErrorRequest.PortUnreachable, 3, 3)]
    [InlineData(IcmpErrorRequest.AdminProhibited, 3, 13)]
    [InlineData(IcmpErrorRequest.TimeExceeded, 11, 0)]
    public void EachKindCarriesItsTypeAndCode(ulong request, byte type, byte code)
    {
        byte[] error = Error(ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10')/UDP(dport=9)"), request);
        Assert.Equal((type, code), (error[34], error[35]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(error.AsSpan(38)));
        Assert.Equal(1, Sender.GetCounters().Total);
    }

    [Fact]
    public void ErrorsAboutNonErrorIcmpAreSent() =>
        Error(ScapyOne(Transit + ")/ICMP(type=8)"), IcmpErrorRequest.TimeExceeded);

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(5)]
    [InlineData(4)]
    public void NoErrorAboutAnIcmpError(byte type) =>
        AssertSuppressed("about_icmp_error", ScapyOne(Transit + $")/ICMP(type={type})/IPerror(src='198.51.100.10', dst='10.0.0.10')/UDPerror()"));

    [Fact]
    public void NoErrorAboutAFragmentOtherThanTheFirst() =>
        AssertSuppressed("about_fragment", ScapyOne(Transit + ", frag=10)/Raw(b'x'*16)"));

    [Fact]
    public void ErrorAboutAFirstFragmentIsSent() =>
        Error(ScapyOne(Transit + ", flags='MF')/UDP()/Raw(b'x'*16)"), IcmpErrorRequest.TimeExceeded);

    [Theory]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.255")]
    [InlineData("203.0.113.3")]
    public void NoErrorAboutAPacketToABroadcastAddress(string destination) =>
        AssertSuppressed("about_broadcast", ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='{destination}', ttl=1)/UDP()"));

    [Fact]
    public void NoErrorAboutAPacketToAMulticastAddress() =>
        AssertSuppressed("about_multicast", ScapyOne("Ether(src=H, dst='01:00:5e:00:00:05')/IP(src='10.0.0.10', dst='224.0.0.5', ttl=1)/UDP()"));

    [Theory]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("01:00:5e:01:02:03")]
    public void NoErrorAboutALinkLayerBroadcastOrMulticast(string mac) =>
        AssertSuppressed("about_link_broadcast", ScapyOne($"Ether(src=H, dst='{mac}')/IP(src='10.0.0.10', dst='198.51.100.10', ttl=1)/UDP()"));

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.1")]
    [InlineData("224.0.0.1")]
    [InlineData("240.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("10.0.0.255")]
    public void NoErrorToASourceThatIsNotASingleHost(string source) =>
        AssertSuppressed("bad_source", ScapyOne($"Ether(src=H, dst=L)/IP(src='{source}', dst='198.51.100.10', ttl=1)/UDP()"));

    [Theory]
    [InlineData(0ul)]
    [InlineData(IcmpErrorRequest.Marker | 5ul << 40)]             // redirect: not an error Flow sends
    [InlineData(IcmpErrorRequest.Marker | 3ul << 40 | 4ul << 32)] // fragmentation needed without an MTU
    [InlineData(IcmpErrorRequest.TimeExceeded | 1)]                // time exceeded with a stray value
    [InlineData(IcmpErrorRequest.TimeExceeded ^ 1ul << 60)]        // a wrong marker
    public void APacketWithoutAValidRequestIsABadRequest(ulong word) =>
        AssertSuppressed("bad_request", ScapyOne(Transit + ")/UDP()"), word);

    [Fact]
    public void NoValidHeaderAtL3IsMalformed() =>
        AssertSuppressed("malformed", ScapyOne("Ether(src=H, dst=L, type=0x800)/Raw(b'\\x65' + b'\\0'*30)"));

    [Fact]
    public void AnInterfaceWithoutAddressSendsNoError() =>
        AssertSuppressed("no_source_address", ScapyOne(Transit + ")/UDP()"), port: 5);

    [Fact]
    public void WithoutHeadroomTheQuoteMovesBehindTheNewHeaders()
    {
        using PacketPool bare = PacketPool.Create(4, dataOffset: 0, name: "no_headroom");
        byte[] offending = ScapyOne(Transit + ")/UDP()/Raw(b'z'*100)");
        Assert.True(bare.TryAllocate(out Packet packet));
        packet.TrySetLength(offending.Length);
        offending.CopyTo(packet.Data);
        packet.Meta.InputPort = Lan;
        packet.Meta.L3Offset = 14;
        packet.Meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid;
        packet.Meta.UserWord = IcmpErrorRequest.PortUnreachable;
        _harness.Process([packet]);
        Packet[] errors = _harness.Take("error");
        byte[] error = Assert.Single(errors).Data.ToArray();
        Assert.Equal(0, errors[0].Meta.DataOffset);
        PacketPools.Free(errors);
        Assert.Equal(offending.AsSpan(14).ToArray(), error.AsSpan(42).ToArray());
        Assert.Equal("10.0.0.1 10.0.0.10 156 192 64 3 3 True True 10.0.0.10 198.51.100.10 0", Scapy(error));
        Assert.Equal(0, bare.Outstanding);
    }

    [Fact]
    public void AFrameWithoutRoomForTheErrorIsDropped()
    {
        // A 60-byte header (IHL 15) at byte 41 of a 128-byte frame without headroom: the error
        // would need 41 + 28 + 60 + 8 bytes of frame to quote the header and 8 bytes of data.
        byte[] offending = [.. new byte[27], .. ScapyOne(Transit + ", options=[IPOption_NOP()]*40)/UDP()")];
        using PacketPool tight = PacketPool.Create(2, frameSize: 128, dataOffset: 0, name: "tight");
        Assert.True(tight.TryAllocate(out Packet packet));
        Assert.True(packet.TrySetLength(offending.Length));
        offending.CopyTo(packet.Data);
        packet.Meta.InputPort = Lan;
        packet.Meta.L2Offset = 27;
        packet.Meta.L3Offset = 41;
        packet.Meta.Flags |= PacketFlags.L2Valid | PacketFlags.L3Valid;
        packet.Meta.UserWord = IcmpErrorRequest.TimeExceeded;
        _harness.Process([packet]);
        Assert.Equal(1, _harness.Stats.DroppedFor("no_room"));
        Assert.Equal(0, tight.Outstanding);
    }
}
