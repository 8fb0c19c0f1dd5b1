using Flow.Protocols.Ipv4;
using Flow.Stages.Nat;
using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Nat;

/// <summary>
/// Fragments through the NAT (RFC 4787 REQ-14): scapy fragments a 3000-byte datagram, the NAT
/// translates the pieces in order and out of order, and scapy reassembles what left — the
/// datagram must come out whole (the same bytes) with the translated endpoints and a right UDP
/// checksum.
/// </summary>
public sealed class NatFragmentTests
{
    private const string Remote = "198.51.100.7";

    private static byte[][] Fragments(string src, int sport, string dst, int dport, string mac, string to) =>
        Scapy($"[Ether(src={mac}, dst={to})/f for f in fragment(IP(src='{src}', dst='{dst}', id=4242)/UDP(sport={sport}, dport={dport})/Raw(bytes(range(256))*12), fragsize=1400)]");

    /// <summary>Reassembles the frames with scapy; returns "src sport dst dport checksum-ok length payload-intact".</summary>
    private static string Reassembled(IEnumerable<byte[]> frames)
    {
        string list = string.Join(", ", frames.Select(f => $"Ether(bytes.fromhex('{Convert.ToHexString(f)}'))[IP]"));
        return Python($"""
            d = defragment([{list}])
            q = IP(bytes([p for p in d if not (p.flags.MF or p.frag)][0]))
            c = q[UDP].chksum
            del q[UDP].chksum
            print(q.src, q[UDP].sport, q.dst, q[UDP].dport, c == IP(bytes(q))[UDP].chksum, len(q[Raw].load), q[Raw].load == bytes(range(256))*12)
            """).Trim();
    }

    /// <summary>(source, destination) of an IPv4 frame: all a later fragment has to show of its endpoints.</summary>
    private static (string Source, string Destination) Addresses(byte[] frame) =>
        (new Ipv4Address(frame[26], frame[27], frame[28], frame[29]).ToString(), new Ipv4Address(frame[30], frame[31], frame[32], frame[33]).ToString());

    private static byte[][] Run(StageHarness harness, string output)
    {
        Packet[] packets = harness.Take(output);
        byte[][] frames = packets.Select(p => p.Data.ToArray()).ToArray();
        PacketPools.Free(packets);
        return frames;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFragmentedDatagramLeavesWholeFromTheExternalEndpointInOrderOrNot(bool reversed)
    {
        using var rig = new NatRig();
        byte[][] fragments = Fragments("10.0.0.10", 40000, Remote, 53, "H", "L");
        Assert.Equal(3, fragments.Length);
        var sent = new List<byte[]>();
        foreach (byte[] fragment in reversed ? fragments.Reverse() : fragments)
        {
            Packet packet = rig.Pool.Classified(Lan, fragment);
            packet.Meta.NextHop = NatRig.WanHop(rig);
            rig.Out.Process([packet]);
            sent.AddRange(Run(rig.Out, "out"));
        }
        Assert.Equal(3, sent.Count);
        Assert.All(sent, f => Assert.True(NatRig.HeaderChecksumValid(f)));
        Assert.Equal($"{NatRig.External} 40000 {Remote} 53 True 3072 True", Reassembled(sent));
        Assert.Equal(1, rig.Table.SessionCount);
    }

    [Fact]
    public void FragmentsOfAReplyReachTheInternalHostInOrderOrNot()
    {
        using var rig = new NatRig();
        rig.Send(ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.10', dst='{Remote}')/UDP(sport=40000, dport=53)"));
        byte[][] fragments = Fragments(Remote, 53, NatRig.External, 40000, "'02:00:00:00:00:99'", "W");
        var delivered = new List<byte[]>();
        foreach (byte[] fragment in new[] { fragments[1], fragments[0], fragments[2] })
        {
            rig.In.Process([rig.Pool.Classified(Wan, fragment)]);
            delivered.AddRange(Run(rig.In, "translated"));
        }
        Assert.Equal(3, delivered.Count);
        Assert.Equal($"{Remote} 53 10.0.0.10 40000 True 3072 True", Reassembled(delivered));
    }

    /// <summary>
    /// 10.0.0.10:40000 sends a fragmented datagram to an external endpoint whose internal host is
    /// 10.0.0.20 or 10.0.0.30 (a port mapping, another host's session, a 1:1 address): every
    /// fragment, the first in any place, must leave from the sender's external endpoint to the
    /// internal one with a right header checksum, and the datagram reassemble whole.
    /// </summary>
    [Theory]
    [InlineData("mapping", "012")]
    [InlineData("mapping", "210")]
    [InlineData("session", "012")]
    [InlineData("session", "120")]
    [InlineData("one_to_one", "012")]
    [InlineData("one_to_one", "201")]
    public void FragmentsOfAHairpinnedDatagramAllLeaveFromTheSendersExternalEndpointInOrderOrNot(string target, string order)
    {
        using var rig = new NatRig(new NatOptions
        {
            PortMappings = [new() { Protocol = "udp", ExternalPort = 5000, Internal = "10.0.0.20:5000" }],
            AddressMappings = [new() { External = "203.0.113.1", Internal = "10.0.0.30" }],
        });
        (string external, int port, string inside) = target switch
        {
            "mapping" => (NatRig.External, 5000, "10.0.0.20"),
            "session" => (NatRig.External, 6000, "10.0.0.20"),
            _ => ("203.0.113.1", 6000, "10.0.0.30"),
        };
        if (target == "session")
        {
            // 10.0.0.20:6000 talks out first: its session's external endpoint is 192.0.2.1:6000.
            Assert.NotNull(rig.Send(ScapyOne($"Ether(src=H, dst=L)/IP(src='10.0.0.20', dst='{Remote}')/UDP(sport=6000, dport=53)")));
        }
        byte[][] fragments = Fragments("10.0.0.10", 40000, external, port, "H", "L");
        var delivered = new List<byte[]>();
        foreach (char i in order)
        {
            rig.In.Process([rig.Pool.Classified(Lan, fragments[i - '0'])]);
            delivered.AddRange(Run(rig.In, "translated"));
        }
        Assert.Equal(3, delivered.Count);
        Assert.All(delivered, f =>
        {
            Assert.Equal((NatRig.External, inside), Addresses(f));
            Assert.True(NatRig.HeaderChecksumValid(f));
        });
        Assert.Equal($"{NatRig.External} 40000 {inside} {port} True 3072 True", Reassembled(delivered));
        Assert.Equal(3, rig.Table.Counters.Hairpinned);
    }

    [Fact]
    public void AHairpinnedFragmentWhoseFirstNeverComesWaitsAndIsDroppedAndCountedAfterThirtySeconds()
    {
        using var rig = new NatRig(new NatOptions { AddressMappings = [new() { External = "203.0.113.1", Internal = "10.0.0.30" }] });
        byte[][] fragments = Fragments("10.0.0.10", 40000, "203.0.113.1", 6000, "H", "L");
        rig.In.Process([rig.Pool.Classified(Lan, fragments[1])]);
        Assert.Empty(Run(rig.In, "translated"));
        rig.Clock.Advance(TimeSpan.FromSeconds(31));
        rig.In.Tick(rig.Clock.NowNanoseconds);
        Assert.Equal(1, rig.In.Stats.DroppedFor("fragment_expired"));
    }

    [Fact]
    public void AFragmentWhoseFirstNeverComesIsDroppedAndCountedAfterThirtySeconds()
    {
        using var rig = new NatRig();
        byte[][] fragments = Fragments("10.0.0.10", 40000, Remote, 53, "H", "L");
        Packet packet = rig.Pool.Classified(Lan, fragments[2]);
        packet.Meta.NextHop = NatRig.WanHop(rig);
        rig.Out.Process([packet]);
        Assert.Empty(Run(rig.Out, "out"));
        rig.Clock.Advance(TimeSpan.FromSeconds(31));
        rig.Out.Tick(rig.Clock.NowNanoseconds);
        Assert.Equal(1, rig.Out.Stats.DroppedFor("fragment_expired"));
    }
}
