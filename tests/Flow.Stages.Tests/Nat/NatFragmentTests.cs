using Xunit;
using static Flow.Stages.Tests.Ipv4.RouterFrames;

namespace Flow.Stages.Tests.Nat;

/// <summary>
/// Fragments through the NAT (RFC 4787 REQ-14): scapy fragments a 3000-byte datagram, the NAT
/// translates the pieces in order and out of order, and scapy reassembles what left — the
/// datagram must come out whole with the translated endpoint and a right UDP checksum.
/// </summary>
public sealed class NatFragmentTests
{
    private const string Remote = "198.51.100.7";

    private static byte[][] Fragments(string src, int sport, string dst, int dport, string mac, string to) =>
        Scapy($"[Ether(src={mac}, dst={to})/f for f in fragment(IP(src='{src}', dst='{dst}', id=4242)/UDP(sport={sport}, dport={dport})/Raw(bytes(range(256))*12), fragsize=1400)]");

    /// <summary>Reassembles the frames with scapy; returns "src sport dst dport checksum-ok length".</summary>
    private static string Reassembled(IEnumerable<byte[]> frames)
    {
        string list = string.Join(", ", frames.Select(f => $"Ether(bytes.fromhex('{Convert.ToHexString(f)}'))[IP]"));
        return Python($"""
            d = defragment([{list}])
            q = IP(bytes([p for p in d if not (p.flags.MF or p.frag)][0]))
            c = q[UDP].chksum
            del q[UDP].chksum
            print(q.src, q[UDP].sport, q.dst, q[UDP].dport, c == IP(bytes(q))[UDP].chksum, len(q[Raw].load))
            """).Trim();
    }

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
        Assert.Equal($"{NatRig.External} 40000 {Remote} 53 True 3072", Reassembled(sent));
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
        Assert.Equal($"{Remote} 53 10.0.0.10 40000 True 3072", Reassembled(delivered));
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
