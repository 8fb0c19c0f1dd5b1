using System.Buffers.Binary;
using Flow.Protocols;
using Flow.Protocols.Ipv4;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Ipv4;

/// <summary>ipv4_forward: TTL−1 with an RFC 1624 incremental checksum, checked against a full recomputation at the 0x0000/0xFFFF boundaries; TTL ≤ 1 to time_exceeded.</summary>
public sealed class Ipv4ForwarderTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(512);
    private readonly StageHarness _harness = new(new Ipv4Forwarder(), "ipv4_forward");

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    private byte[] Forward(byte[] frame)
    {
        _harness.Process([_pool.Classified(Lan, frame)]);
        Packet[] out_ = _harness.Take("forwarded");
        Packet packet = Assert.Single(out_);
        byte[] bytes = packet.Data.ToArray();
        PacketPools.Free(out_);
        return bytes;
    }

    /// <summary>A 14-byte Ethernet header and a 20-byte IPv4 header with a valid checksum.</summary>
    private static byte[] Header(byte ttl, ushort identification, byte protocol = IpProtocol.Udp)
    {
        var frame = new byte[14 + 20 + 8];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        Span<byte> ip = frame.AsSpan(14, 20);
        Assert.True(Ipv4Builder.TryWriteHeader(frame.AsSpan(14), new Ipv4Address(10, 0, 0, 10), new Ipv4Address(198, 51, 100, 10),
            protocol, 8, ttl, identification));
        Assert.True(Checksum.IsValid(ip));
        return frame;
    }

    private static ushort StoredChecksum(byte[] frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(24));

    private static ushort Recomputed(byte[] frame)
    {
        byte[] copy = frame[14..34];
        copy[10] = copy[11] = 0;
        return Checksum.Compute(copy).Host;
    }

    [Fact]
    public void DecrementsTtlAndKeepsTheChecksumValidAndAllElse()
    {
        byte[] frame = ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=64, tos=0xb8, id=777, flags='DF')/UDP()/Raw(b'abc')");
        byte[] forwarded = Forward(frame);
        Assert.Equal(63, forwarded[22]);
        Assert.True(HeaderChecksumIsValid(forwarded));
        forwarded[22] = frame[22];
        forwarded[24] = frame[24];
        forwarded[25] = frame[25];
        Assert.Equal(frame, forwarded);
    }

    [Fact]
    public void ChecksumThatBecomesZeroIsZeroNotFfff()
    {
        // Find a header whose correct checksum after the decrement is 0x0000 (RFC 1624 3: eqn. 2
        // would give 0xFFFF there).
        byte[] frame = Enumerable.Range(0, 65536).Select(id => Header(64, (ushort)id))
            .First(f => { byte[] after = (byte[])f.Clone(); after[22]--; return Recomputed(after) == 0x0000; });
        byte[] forwarded = Forward(frame);
        Assert.Equal(0x0000, StoredChecksum(forwarded));
        Assert.Equal(Recomputed(forwarded), StoredChecksum(forwarded));
    }

    [Fact]
    public void ChecksumThatWasZeroUpdatesLikeARecomputation()
    {
        byte[] frame = Enumerable.Range(0, 65536).Select(id => Header(64, (ushort)id)).First(f => StoredChecksum(f) == 0x0000);
        byte[] forwarded = Forward(frame);
        Assert.Equal(Recomputed(forwarded), StoredChecksum(forwarded));
        Assert.NotEqual(0xFFFF, StoredChecksum(forwarded));
    }

    [Fact]
    public void IncrementalChecksumEqualsARecomputationForEveryTtlAndManyHeaders()
    {
        var random = new Random(1624);
        for (int round = 0; round < 16; round++)
        {
            byte[][] frames = [.. Enumerable.Range(0, 254).Select(t => Header((byte)(t + 2), (ushort)random.Next(65536), (byte)random.Next(256)))];
            _harness.Process([.. frames.Select(f => _pool.Classified(Lan, f))]);
            Packet[] forwarded = _harness.Take("forwarded");
            Assert.Equal(frames.Length, forwarded.Length);
            for (int i = 0; i < forwarded.Length; i++)
            {
                byte[] bytes = forwarded[i].Data.ToArray();
                Assert.Equal(frames[i][22] - 1, bytes[22]);
                Assert.Equal(Recomputed(bytes), StoredChecksum(bytes));
            }
            PacketPools.Free(forwarded);
        }
    }

    [Fact]
    public void OptionsAreForwardedUntouchedAndScapyAgreesOnTheChecksum()
    {
        byte[] frame = ScapyOne("Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='198.51.100.10', ttl=9, options=[IPOption_RR(routers=['0.0.0.0']*2)])/ICMP()");
        byte[] forwarded = Forward(frame);
        Assert.Equal(frame.AsSpan(34, (frame[14] & 0xF) * 4 - 20).ToArray(), forwarded.AsSpan(34, (frame[14] & 0xF) * 4 - 20).ToArray());
        // scapy recomputes the checksum of the header as forwarded and compares it with the stored one.
        string verdict = Python($"p=Ether(bytes.fromhex('{Convert.ToHexString(forwarded)}'))\nq=IP(bytes(p[IP]))\ns=q.chksum\ndel q.chksum\n" +
            "print(s == IP(bytes(q)).chksum, p[IP].ttl, p[IP].options[0].option)\n").Trim();
        Assert.Equal("True 8 7", verdict);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void ExpiringTtlGoesToTimeExceededUnchangedWithARequest(byte ttl)
    {
        byte[] frame = Header(ttl, 42);
        _harness.Process([_pool.Classified(Lan, frame)]);
        Packet packet = Assert.Single(_harness.Output("time_exceeded"));
        Assert.Equal(frame, packet.Data.ToArray());
        Assert.Equal(IcmpErrorRequest.TimeExceeded, packet.Meta.UserWord);
        Assert.Empty(_harness.Output("forwarded"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Burst.Default - 1)]
    [InlineData(Burst.Default)]
    [InlineData(Burst.Default + 1)]
    [InlineData(Burst.Max)]
    [InlineData(Burst.Max + 1)]
    public void EveryBatchSizeSortsEachPacketByItsOwnTtl(int count)
    {
        // Every third packet expires; the others are forwarded, in order.
        byte[][] frames = [.. Enumerable.Range(0, count).Select(i => Header(i % 3 == 0 ? (byte)1 : (byte)(i % 200 + 2), (ushort)i))];
        _harness.Process([.. frames.Select(f => _pool.Classified(Lan, f))]);
        Packet[] forwarded = _harness.Take("forwarded");
        Packet[] expired = _harness.Take("time_exceeded");
        Assert.Equal(Enumerable.Range(0, count).Where(i => i % 3 != 0).Select(i => (ushort)i),
            forwarded.Select(p => BinaryPrimitives.ReadUInt16BigEndian(p.Data[18..])));
        Assert.Equal(Enumerable.Range(0, count).Where(i => i % 3 == 0).Select(i => (ushort)i),
            expired.Select(p => BinaryPrimitives.ReadUInt16BigEndian(p.Data[18..])));
        Assert.All(forwarded, p => Assert.True(HeaderChecksumIsValid(p.Data)));
        PacketPools.Free(forwarded);
        PacketPools.Free(expired);
    }

    [Fact]
    public void TwoIsTheLowestTtlForwarded()
    {
        byte[] forwarded = Forward(Header(2, 42));
        Assert.Equal(1, forwarded[22]);
    }

    [Fact]
    public void PacketShorterThanAHeaderIsDroppedAsTruncated()
    {
        _harness.Process([_pool.Classified(Lan, Header(64, 1)[..30])]);
        Assert.Equal(1, _harness.Stats.DroppedFor("truncated"));
    }
}
