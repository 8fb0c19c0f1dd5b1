using System.Buffers.Binary;
using Flow.Protocols;
using Flow.Protocols.Icmp;
using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Ipv4;

/// <summary>
/// <c>ipv4_output</c>: one test per port and drop reason; fragments checked byte by byte against
/// scapy's and reassembled here; the options copy rule; fragments of fragments; pool exhaustion;
/// the 68-byte minimum MTU; checksums at 0x0000; batches that grow.
/// Routes: 198.51.100.0/24 connected on wan (id 1), 203.0.113.0/24 via 192.0.2.2 on wan,
/// 198.18.0.0/24 on port 7 (no such interface), 10.66.0.0/16 blackhole.
/// </summary>
public sealed class Ipv4OutputTests : IDisposable
{
    private const int IpAt = 14;
    private readonly LeakCheckingPool _pool = new(1024, 8192);
    private readonly Ipv4RouteTable _routes = new(new Ipv4RouteTableOptions { Fib = new Ipv4FibOptions { Tbl8Groups = 16 } });
    private StageHarness? _harness;

    public Ipv4OutputTests()
    {
        _routes.Add(Ipv4Prefix.Parse("198.51.100.0/24"), Ipv4Route.Connected(Wan));
        _routes.Add(Ipv4Prefix.Parse("203.0.113.0/24"), Ipv4Route.Via(new Flow.Protocols.Ipv4.Ipv4Address(192, 0, 2, 2), Wan));
        _routes.Add(Ipv4Prefix.Parse("198.18.0.0/24"), Ipv4Route.Connected(7));
        _routes.Add(Ipv4Prefix.Parse("10.66.0.0/16"), Ipv4Route.Blackhole);
    }

    private StageHarness Harness => _harness ??= Use();

    private Ipv4Output Stage => (Ipv4Output)Harness.Stage;

    /// <summary>The stage with the wan MTU and fragment pool given (the lan MTU stays 1500).</summary>
    private StageHarness Use(int wanMtu = 1500, int poolFrames = 2048, int frameSize = 0)
    {
        Assert.Null(_harness);
        var options = new Ipv4OutputOptions
        {
            Interfaces =
            [
                new() { Name = "lan", Mac = LanMac, Addresses = ["10.0.0.1/24"] },
                new() { Name = "wan", Mac = WanMac, Addresses = ["192.0.2.1/24"], Mtu = wanMtu },
            ],
            FragmentPoolFrames = poolFrames,
            FragmentFrameSize = frameSize,
        };
        return _harness = new StageHarness(new Ipv4Output(options, _routes), "ipv4_output");
    }

    public void Dispose()
    {
        if (_harness is not null)
        {
            Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
            Assert.Equal(0, Stage.FragmentPool.Outstanding);
            _harness.Dispose();
        }
        _routes.Dispose();
        _pool.Dispose();
    }

    /// <summary>A packet of <paramref name="frame"/> as the route lookup leaves it: next hop of its destination.</summary>
    private Packet Routed(byte[] frame)
    {
        Packet packet = _pool.Classified(Lan, frame);
        packet.Meta.NextHop = _routes.Fib.Lookup(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(IpAt + 16)));
        return packet;
    }

    /// <summary>Runs the frames as one batch; returns what left on each port, as bytes (packets freed).</summary>
    private (byte[][] Resolve, byte[][] Icmp, ulong[] Words) Run(params byte[][] frames)
    {
        Harness.Process([.. frames.Select(Routed)]);
        Packet[] resolve = Harness.Take("resolve");
        Packet[] icmp = Harness.Take("icmp");
        (byte[][], byte[][], ulong[]) result = ([.. resolve.Select(p => p.Data.ToArray())], [.. icmp.Select(p => p.Data.ToArray())], [.. icmp.Select(p => p.Meta.UserWord)]);
        PacketPools.Free(resolve);
        PacketPools.Free(icmp);
        return result;
    }

    private static int HeaderLength(byte[] frame) => (frame[IpAt] & 0xF) * 4;

    private static int TotalLength(byte[] frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(IpAt + 2));

    private static ushort FlagsAndOffset(byte[] frame) => BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(IpAt + 6));

    private static int Offset(byte[] frame) => (FlagsAndOffset(frame) & 0x1FFF) * 8;

    private static bool MoreFragments(byte[] frame) => (FlagsAndOffset(frame) & 0x2000) != 0;

    private static byte[] Payload(byte[] frame) => frame[(IpAt + HeaderLength(frame))..(IpAt + TotalLength(frame))];

    /// <summary>
    /// Reassembles fragments like a receiver (RFC 791 3.2), asserting they tile the payload
    /// exactly once from <paramref name="start"/>: returns the payload and the last one's MF.
    /// </summary>
    private static (byte[] Payload, bool More) Reassemble(IEnumerable<byte[]> fragments, int start = 0)
    {
        byte[][] ordered = [.. fragments.OrderBy(Offset)];
        var payload = new List<byte>();
        foreach (byte[] fragment in ordered)
        {
            Assert.Equal(start + payload.Count, Offset(fragment));
            Assert.True(HeaderChecksumIsValid(fragment), "a fragment's header checksum is invalid");
            payload.AddRange(Payload(fragment));
        }
        for (int i = 0; i < ordered.Length - 1; i++)
        {
            Assert.True(MoreFragments(ordered[i]), $"fragment {i} lacks MF");
            Assert.Equal(0, Payload(ordered[i]).Length % 8);
        }
        return ([.. payload], MoreFragments(ordered[^1]));
    }

    /// <summary>A UDP datagram of exactly <paramref name="totalLength"/> IP bytes with a patterned payload.</summary>
    private static byte[] Datagram(int totalLength, string flags = "0", string dst = "198.51.100.10", int id = 4242, string options = "[]", int frag = 0)
    {
        string flagText = flags == "0" ? "0" : $"'{flags}'";
        return Convert.FromHexString(Python(
            $"h=IP(src='10.0.0.10', dst='{dst}', id={id}, flags={flagText}, frag={frag}, ttl=63, tos=0x28, options={options})\n" +
            $"n={totalLength} - len(bytes(h)) - 8\n" +
            "p=Ether(src=H, dst=L)/h/UDP(sport=1000, dport=2000)/Raw(bytes((i * 7 + 3) % 256 for i in range(n)))\n" +
            "print(bytes(p).hex())\n").Trim());
    }

    [Fact]
    public void PacketOfExactlyTheMtuLeavesOnResolveUnchanged()
    {
        byte[] frame = Datagram(1500, flags: "DF");
        (byte[][] resolve, byte[][] icmp, _) = Run(frame);
        Assert.Equal(frame, Assert.Single(resolve));
        Assert.Empty(icmp);
        Assert.Equal(0, Stage.Fragmented);
    }

    [Fact]
    public void ViaRouteUsesTheMtuOfItsPortToo()
    {
        Use(wanMtu: 1280);
        (byte[][] resolve, byte[][] icmp, ulong[] words) = Run(Datagram(1281, flags: "DF", dst: "203.0.113.9"), Datagram(1280, flags: "DF", dst: "203.0.113.9"));
        Assert.Single(resolve);
        Assert.Single(icmp);
        Assert.True(IcmpErrorRequest.TryDecode(words[0], out _, out _, out uint mtu));
        Assert.Equal(1280u, mtu);
    }

    [Fact]
    public void TooBigWithDfGoesToIcmpUnchangedAskingForFragmentationNeededWithTheNextHopMtu()
    {
        Use(wanMtu: 1400);
        byte[] frame = Datagram(1401, flags: "DF");
        (byte[][] resolve, byte[][] icmp, ulong[] words) = Run(frame);
        Assert.Empty(resolve);
        Assert.Equal(frame, Assert.Single(icmp));
        Assert.True(IcmpErrorRequest.TryDecode(words[0], out byte type, out byte code, out uint rest));
        Assert.Equal((IcmpType.DestinationUnreachable, IcmpType.CodeFragmentationNeeded, 1400u), (type, code, rest));
        Assert.Equal(1, Stage.FragmentationNeeded);
    }

    [Fact]
    public void FragmentsOfA4000ByteDatagramAreByteForByteWhatScapyMakesAndReassembleToTheOriginal()
    {
        byte[] frame = Datagram(4000);
        (byte[][] resolve, byte[][] icmp, _) = Run(frame);
        Assert.Empty(icmp);
        Assert.Equal(3, resolve.Length);
        Assert.Equal([1500, 1500, 1040], resolve.Select(TotalLength));
        Assert.Equal([0, 1480, 2960], resolve.Select(Offset));
        Assert.Equal([true, true, false], resolve.Select(MoreFragments));
        foreach (byte[] fragment in resolve)
        {
            Assert.Equal(frame[..IpAt], fragment[..IpAt]);     // the L2 header on each
            Assert.Equal(TotalLength(fragment) + IpAt, fragment.Length);
        }
        (byte[] payload, bool more) = Reassemble(resolve);
        Assert.False(more);
        Assert.Equal(Payload(frame), payload);

        // scapy's fragment() is RFC 791's procedure for a header without options: same bytes.
        string[] expected = Python($"p=Ether(bytes.fromhex('{Convert.ToHexString(frame)}'))\n" +
            "for f in fragment(p[IP], fragsize=1480):\n    print(bytes(f).hex())\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Select(h => h.ToUpperInvariant()), resolve.Select(f => Convert.ToHexString(f[IpAt..])));
        Assert.Equal((1L, 3L), (Stage.Fragmented, Stage.FragmentsMade));
    }

    [Fact]
    public void OnlyOptionsWithTheCopyFlagGoIntoLaterFragmentsAndTheFirstKeepsThemAll()
    {
        Use(wanMtu: 576);
        // Record route (0x07, not copied), NOP (not copied), router alert (0x94, copied), an
        // experimental option with the copy flag (0x9E, RFC 4727): 11 + 1 + 4 + 6 bytes, padded to 24.
        const string Options = "[IPOption_RR(routers=['0.0.0.0']*2), IPOption_NOP(), IPOption_Router_Alert(), IPOption(b'\\x9e\\x06abcd')]";
        byte[] frame = Datagram(1600, options: Options);
        int fullHeader = HeaderLength(frame);
        Assert.Equal(44, fullHeader);
        (byte[][] resolve, _, _) = Run(frame);
        Assert.True(resolve.Length >= 3);
        byte[] first = resolve.Single(f => Offset(f) == 0);
        Assert.Equal(frame[IpAt..(IpAt + 20)].Where((_, i) => i is not (2 or 3 or 6 or 7 or 10 or 11)),
            first[IpAt..(IpAt + 20)].Where((_, i) => i is not (2 or 3 or 6 or 7 or 10 or 11)));
        Assert.Equal(frame[(IpAt + 20)..(IpAt + fullHeader)], first[(IpAt + 20)..(IpAt + fullHeader)]);
        foreach (byte[] later in resolve.Where(f => Offset(f) != 0))
        {
            Assert.Equal(32, HeaderLength(later));
            Assert.Equal([0x94, 0x04, 0x00, 0x00, 0x9e, 0x06, (byte)'a', (byte)'b', (byte)'c', (byte)'d', 0x00, 0x00],
                later[(IpAt + 20)..(IpAt + 32)]);
        }
        Assert.All(resolve, f => Assert.True(TotalLength(f) <= 576));
        (byte[] payload, _) = Reassemble(resolve);
        Assert.Equal(Payload(frame), payload);
        // scapy reads a later fragment's options as the two copied ones: (copy flag, number).
        Assert.Equal("[(1, 20), (1, 30)]", Dissect(resolve.First(f => Offset(f) != 0), "[(o.copy_flag, o.option) for o in p[IP].options if o.option != 0]"));
    }

    [Fact]
    public void AFragmentWithMoreToComeIsCutAtItsOwnOffsetAndItsLastPieceKeepsMf()
    {
        // The second fragment of a larger datagram: offset 1480, MF set, 3000 bytes of payload.
        byte[] frame = Datagram(3020, flags: "MF", frag: 185);
        (byte[][] resolve, _, _) = Run(frame);
        Assert.Equal(3, resolve.Length);
        Assert.Equal([1480, 2960, 4440], resolve.Select(Offset));
        (byte[] payload, bool more) = Reassemble(resolve, start: 1480);
        Assert.True(more, "the last piece of a fragment that had MF must keep it");
        Assert.Equal(Payload(frame), payload);
        Assert.All(resolve, f => Assert.Equal(4242, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(IpAt + 4))));
    }

    [Fact]
    public void TheLastFragmentOfADatagramIsCutAtItsOwnOffsetAndEndsWithoutMf()
    {
        byte[] frame = Datagram(2020, frag: 370);
        (byte[][] resolve, _, _) = Run(frame);
        Assert.Equal([2960, 4440], resolve.Select(Offset));
        (byte[] payload, bool more) = Reassemble(resolve, start: 2960);
        Assert.False(more);
        Assert.Equal(Payload(frame), payload);
    }

    [Fact]
    public void AFragmentWhoseEndPasses65535IsDroppedAsOversized()
    {
        byte[] frame = Datagram(1620, frag: 8000);   // 64000 + 1600 > 65515
        (byte[][] resolve, _, _) = Run(frame);
        Assert.Empty(resolve);
        Assert.Equal(1, Harness.Stats.DroppedFor("oversized"));
    }

    [Fact]
    public void AtTheMinimumMtuOf68EveryFragmentFitsAndAFullOptionHeaderStillLeavesEightBytes()
    {
        Use(wanMtu: 68);
        // 40 bytes of options: a 60-byte header leaves one 8-byte unit in the first fragment.
        byte[] frame = Datagram(300, options: "[IPOption_RR(routers=['0.0.0.0']*9)]");
        Assert.Equal(60, HeaderLength(frame));
        (byte[][] resolve, _, _) = Run(frame);
        Assert.All(resolve, f => Assert.True(TotalLength(f) <= 68, $"fragment of {TotalLength(f)} bytes"));
        byte[] first = resolve.Single(f => Offset(f) == 0);
        Assert.Equal(68, TotalLength(first));
        Assert.Equal(8, Payload(first).Length);
        Assert.All(resolve.Where(f => Offset(f) != 0), f => Assert.Equal(20, HeaderLength(f)));   // RR is not copied
        Assert.Equal(1 + (int)Math.Ceiling((240 - 8) / 48.0), resolve.Length);
        (byte[] payload, bool more) = Reassemble(resolve);
        Assert.False(more);
        Assert.Equal(Payload(frame), payload);
        Assert.Throws<RouterConfigurationException>(() => new Ipv4Output(new Ipv4OutputOptions
        {
            Interfaces = [new() { Name = "lan", Mac = LanMac, Mtu = 67 }],
        }, _routes));
    }

    [Fact]
    public void AFragmentWhoseChecksumComesOutZeroStoresZeroAndEveryChecksumEqualsARecomputation()
    {
        // Pick the identification that makes the second fragment's correct checksum 0x0000 (its
        // other words sum to 0xFFFF): 120 bytes, MF clear, offset 185.
        byte[] frame = Datagram(1600);
        byte[] second = frame[IpAt..(IpAt + 20)];
        BinaryPrimitives.WriteUInt16BigEndian(second.AsSpan(2), 120);
        BinaryPrimitives.WriteUInt16BigEndian(second.AsSpan(6), 185);
        second[10] = second[11] = 0;
        int id = Enumerable.Range(0, 65536).First(id =>
        {
            BinaryPrimitives.WriteUInt16BigEndian(second.AsSpan(4), (ushort)id);
            return Checksum.Compute(second).Host == 0x0000;
        });
        SetIdentification(frame, id);
        (byte[][] resolve, _, _) = Run(frame);
        byte[] last = resolve.Single(f => Offset(f) == 1480);
        Assert.Equal(0x0000, BinaryPrimitives.ReadUInt16BigEndian(last.AsSpan(IpAt + 10)));
        foreach (byte[] fragment in resolve)
        {
            Assert.NotEqual(0xFFFF, BinaryPrimitives.ReadUInt16BigEndian(fragment.AsSpan(IpAt + 10)));
            Assert.True(HeaderChecksumIsValid(fragment));
        }
        // scapy recomputes the checksum of the header as sent: 0 too.
        Assert.Equal("0 0", Python($"q=IP(bytes.fromhex('{Convert.ToHexString(last[IpAt..])}'))\ns=q.chksum\ndel q.chksum\nprint(s, IP(bytes(q)).chksum)\n").Trim());
    }

    /// <summary>Writes the identification and a fresh header checksum into <paramref name="frame"/>.</summary>
    private static void SetIdentification(byte[] frame, int id)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(IpAt + 4), (ushort)id);
        frame[IpAt + 10] = frame[IpAt + 11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(IpAt + 10), Checksum.Compute(frame.AsSpan(IpAt, HeaderLength(frame))).Host);
    }

    [Fact]
    public void AnInputWhoseStoredChecksumIsZeroGetsFragmentsWithFreshChecksums()
    {
        byte[] frame = Datagram(3000);
        SetIdentification(frame, Enumerable.Range(0, 65536).First(id => { SetIdentification(frame, id); return frame[IpAt + 10] == 0 && frame[IpAt + 11] == 0; }));
        Assert.Equal(0x0000, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(IpAt + 10)));
        Assert.True(HeaderChecksumIsValid(frame));
        (byte[][] resolve, _, _) = Run(frame);
        Assert.All(resolve, f => Assert.True(HeaderChecksumIsValid(f)));
        Assert.Equal(Payload(frame), Reassemble(resolve).Payload);
    }

    [Fact]
    public void WhenThePoolCannotHoldEveryFragmentTheWholeDatagramIsDroppedAndCounted()
    {
        Use(poolFrames: 2);
        byte[] needsFour = Datagram(5000);     // 4 fragments: 3 from the pool
        byte[] needsThree = Datagram(4000);    // 3 fragments: 2 from the pool
        (byte[][] resolve, _, _) = Run(needsFour);
        Assert.Empty(resolve);
        Assert.Equal(1, Harness.Stats.DroppedFor("no_buffers"));
        Assert.Equal(0, Stage.FragmentPool.Outstanding);
        (resolve, _, _) = Run(needsThree);
        Assert.Equal(3, resolve.Length);
        Assert.Equal(Payload(needsThree), Reassemble(resolve).Payload);
        Assert.Equal(0, Stage.FragmentPool.Outstanding);
    }

    [Fact]
    public void FragmentFramesSmallerThanTheMtuMakeSmallerFragments()
    {
        Use(wanMtu: 2000, frameSize: 1024);
        byte[] frame = Datagram(4000);
        (byte[][] resolve, _, _) = Run(frame);
        Assert.Equal(5, resolve.Length);   // pieces of 856 bytes: 882 of room behind the Ethernet header
        Assert.All(resolve, f => Assert.True(f.Length <= 1024 - PacketPool.DefaultDataOffset));
        Assert.Equal(Payload(frame), Reassemble(resolve).Payload);
    }

    [Fact]
    public void ABatchThatGrowsPastTheBatchCapacityKeepsEveryDatagramWholeAndInOrder()
    {
        // 300 datagrams of 3 fragments each (900 packets out of a 256-packet input batch), with
        // small packets between them: each datagram completes (its last fragment) after every
        // packet that was before it.
        var frames = new List<byte[]>();
        byte[] big = Datagram(4000);
        byte[] small = Datagram(100);
        for (int i = 0; i < 300; i++)
        {
            byte[] b = (byte[])big.Clone();
            SetIdentification(b, i);
            frames.Add(b);
            byte[] s = (byte[])small.Clone();
            SetIdentification(s, 1000 + i);
            frames.Add(s);
        }
        (byte[][] resolve, _, _) = Run([.. frames]);
        Assert.Equal(300 * 3 + 300, resolve.Length);
        int Id(byte[] f) => BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(IpAt + 4));
        // Position at which each datagram is complete: its fragment without MF (or the small packet itself).
        int[] completes = [.. frames.Select(f => Array.FindIndex(resolve, r => Id(r) == Id(f) && !MoreFragments(r)))];
        Assert.DoesNotContain(-1, completes);
        Assert.Equal(completes.Order(), completes);
        foreach (IGrouping<int, byte[]> datagram in resolve.Where(r => Id(r) < 1000).GroupBy(Id))
        {
            Assert.Equal(Payload(big), Reassemble(datagram).Payload);
        }
        Assert.Equal(600, Harness.Stats.Emitted);
    }

    [Fact]
    public void HeaderOrTotalLengthPastThePacketIsDroppedAsTruncated()
    {
        byte[] frame = Datagram(100);
        Packet shortPacket = Routed(frame);
        shortPacket.Meta.Length = IpAt + 19;
        Packet lying = Routed(frame);
        lying.Meta.Length = IpAt + 99;
        Harness.Process([shortPacket, lying]);
        Assert.Equal(2, Harness.Stats.DroppedFor("truncated"));
    }

    [Fact]
    public void NoRouteBlackholeOrAnIdPastTheTableIsDroppedAsNoNextHop()
    {
        Packet none = Routed(Datagram(100));
        none.Meta.NextHop = NextHopTable.NoRoute;
        Packet blackhole = Routed(Datagram(100, dst: "10.66.1.1"));
        Packet past = Routed(Datagram(100));
        past.Meta.NextHop = uint.MaxValue;
        Harness.Process([none, blackhole, past]);
        Assert.Equal(3, Harness.Stats.DroppedFor("no_next_hop"));
    }

    [Fact]
    public void ANextHopOnAPortThatIsNoInterfaceIsDroppedAsUnknownPort()
    {
        (byte[][] resolve, _, _) = Run(Datagram(100, dst: "198.18.0.5"));
        Assert.Empty(resolve);
        Assert.Equal(1, Harness.Stats.DroppedFor("unknown_port"));
        Assert.Equal((1500, 1500, 0), (Stage.MtuOf(Lan), Stage.MtuOf(Wan), Stage.MtuOf(7)));
    }

    [Fact]
    public void AnL2HeaderTooLongForTheFragmentFramesIsDroppedAsNoRoom()
    {
        Use(frameSize: 512);
        // 400 bytes in front of the IP header: a 512-byte frame (384 of data) has no room for it.
        byte[] ip = Datagram(1600)[IpAt..];
        byte[] frame = [.. new byte[400], .. ip];
        Packet packet = _pool.On(Lan, frame);
        packet.Meta.L3Offset = 400;
        packet.Meta.NextHop = _routes.Fib.Lookup(BinaryPrimitives.ReadUInt32BigEndian(ip.AsSpan(16)));
        Harness.Process([packet]);
        Assert.Equal(1, Harness.Stats.DroppedFor("no_room"));
    }

    [Fact]
    public void RegisteredAsIpv4OutputWithItsPortsAndReasons()
    {
        using ServiceProvider services = new ServiceCollection().AddFlow().AddFlowRouting().AddFlowRouterStages().BuildServiceProvider();
        var registry = services.GetRequiredService<StageRegistry>();
        Assert.True(registry.TryGet("ipv4_output", out StageRegistration registration));
        Assert.Equal(typeof(Ipv4OutputOptions), registration.OptionsType);
        using var stage = (Ipv4Output)registration.Create(services, new Ipv4OutputOptions { Interfaces = Interfaces() });
        Assert.Equal(["resolve", "icmp"], stage.Descriptor.Ports.Select(p => p.Name));
        Assert.Equal(["truncated", "no_next_hop", "unknown_port", "oversized", "no_room", "no_buffers", "stage_fault", "invalid_next"],
            stage.Descriptor.DropReasons.Select(r => r.Symbol));
        // Defaults: 2048 fragment frames, each holding a 1500-byte fragment behind a 64-byte L2 header.
        Assert.Equal((2048, PacketPool.DefaultFrameSize), (stage.FragmentPool.FrameCount, stage.FragmentPool.FrameSize));
        using var jumbo = new Ipv4Output(new Ipv4OutputOptions { Interfaces = [new() { Name = "lan", Mac = LanMac, Mtu = 9000 }] }, new Ipv4RouteTable());
        Assert.True(jumbo.FragmentPool.FrameSize - jumbo.FragmentPool.DataOffset >= 9000 + Ipv4Output.L2Allowance);
    }
}
