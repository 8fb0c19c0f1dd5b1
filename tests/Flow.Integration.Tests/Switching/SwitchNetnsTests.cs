using Flow.Stages.Switching;
using Flow.Stages.Vlan;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Switching;

/// <summary>
/// The Flow switch between real Linux hosts in private namespaces (topology in
/// <see cref="SwitchedHosts"/>): one feature per test, bounded waits, cleanup on failure.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class SwitchNetnsTests
{
    private static async Task<GraphStats> StopAndCheckAsync(SwitchedHosts hosts)
    {
        await hosts.StopAsync();
        GraphStats stats = hosts.Graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        return stats;
    }

    [Fact]
    public async Task HostsPingEachOtherAndAreLearnedOnTheirPorts()
    {
        using var hosts = new SwitchedHosts();
        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "a could not ping b (access 10 to access 10)");
        Assert.True(SwitchedHosts.Ping(hosts.B, "198.18.10.4"), "b could not ping d over the trunk's native VLAN");
        Assert.True(SwitchedHosts.Ping(hosts.D, "198.18.10.1"), "d could not ping a over the trunk's native VLAN");
        // c has nobody to answer in VLAN 20; its ARP requests still get it learned there.
        SwitchedHosts.Ping(hosts.C, "198.18.20.4", count: 1);

        IReadOnlyList<MacEntry> table = await hosts.Control.ShowMacTableAsync();
        string Port(int vlan, int host) =>
            table.FirstOrDefault(e => e.Vlan == vlan && e.Mac.ToString() == hosts.MacOf(host))?.Port ?? "(not learned)";
        Assert.Equal("host_a", Port(10, 0));
        Assert.Equal("host_b", Port(10, 1));
        Assert.Equal("host_c", Port(20, 2));
        Assert.Equal("uplink", Port(10, 3));
        Assert.DoesNotContain(table, e => e.Mac.ToString() == hosts.MacOf(0) && e.Vlan != 10);
        await StopAndCheckAsync(hosts);
    }

    [Fact]
    public async Task TheTrunkCarriesVlan20TaggedBothWays()
    {
        using var hosts = new SwitchedHosts();
        string trunk = hosts.Veths[3].PeerName;
        // c's ARP broadcasts in VLAN 20 leave the trunk tagged 20 (seen by scapy on d's side).
        using (System.Diagnostics.Process sniffer = SwitchedHosts.BeginSniffVlan(hosts.D, trunk, count: 1, vlan: 20))
        {
            SwitchedHosts.Ping(hosts.C, "198.18.20.4", count: 2);
            Assert.True(sniffer.WaitForExit(TimeSpan.FromSeconds(30)), "scapy sniffer did not finish");
            string[] seen = sniffer.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(hosts.MacOf(2), seen);
        }
        // Frames d sends tagged 20 reach c untagged: c's kernel counts them.
        const int Count = 10;
        long before = Flow.TestKit.VethPair.ReadCounter(hosts.Veths[2].PeerName, hosts.C, "rx_packets");
        SwitchedHosts.SendWithScapy(hosts.D, trunk,
            $"[Ether(src='{hosts.MacOf(3)}', dst='{hosts.MacOf(2)}')/Dot1Q(vlan=20)/Raw(b'\\x00'*46)] * {Count}");
        await Waits.Until(() => Task.FromResult(
            Flow.TestKit.VethPair.ReadCounter(hosts.Veths[2].PeerName, hosts.C, "rx_packets") - before >= Count), "c to receive d's frames");
        GraphStats stats = await StopAndCheckAsync(hosts);
        Assert.True(hosts.Graph.GetStage<VlanTagger>(SwitchGraph.TaggerOf("uplink")).Tagged > 0);
        Assert.True(stats.Stage("tx_host_c").Consumed >= Count);
    }

    [Fact]
    public async Task EntriesAgeOutAndAMovedHostIsRelearnedOnItsNewPort()
    {
        using var hosts = new SwitchedHosts(new MacLearnerOptions { AgingTime = TimeSpan.FromSeconds(2) });
        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "a could not ping b");
        string a = hosts.MacOf(0);
        async Task<string?> PortOfA() => (await hosts.Control.ShowMacTableAsync()).FirstOrDefault(e => e.Mac.ToString() == a)?.Port;
        Assert.Equal("host_a", await PortOfA());

        // a's address shows up behind host_b (the host moved): the switch follows it there.
        SwitchedHosts.SendWithScapy(hosts.B, hosts.Veths[1].PeerName,
            $"[Ether(src='{a}', dst='ff:ff:ff:ff:ff:ff', type=0x88b5)/Raw(b'\\x00'*46)]");
        await Waits.Until(async () => await PortOfA() == "host_b", "a's address to move to host_b");
        Assert.True((await hosts.Control.LearnerCountersAsync()).Moves >= 1);

        // Silence: every dynamic entry ages out on the graph clock (aging 2 s, checked each 250 ms).
        await Waits.Until(async () => (await hosts.Control.ShowMacTableAsync()).Count == 0, "the entries to age out");
        Assert.True((await hosts.Control.LearnerCountersAsync()).Aged >= 2);
        await StopAndCheckAsync(hosts);
    }

    [Fact]
    public async Task HostsInDifferentVlansCannotReachEachOther()
    {
        using var hosts = new SwitchedHosts();
        // c also holds 198.18.10.3 on its access port in VLAN 20: only the switch keeps a from it.
        Assert.False(SwitchedHosts.Ping(hosts.A, "198.18.10.3", count: 2), "a reached c across VLANs");
        GraphStats stats = await StopAndCheckAsync(hosts);
        Assert.True(stats.Stage(SwitchGraph.Classifier).OutOn("classified") > 0, "a's ARP requests never reached the switch");
        Assert.Equal(0, stats.Stage("tx_host_c").In);
    }

    [Fact]
    public async Task UnknownUnicastIsFloodedExactlyOnceToEveryOtherPortOfItsVlan()
    {
        using var hosts = new SwitchedHosts();
        const int Count = 20;
        SwitchedHosts.SendWithScapy(hosts.A, hosts.Veths[0].PeerName,
            $"[Ether(src='{hosts.MacOf(0)}', dst='02:00:00:00:99:99', type=0x88b5)/Raw(b'\\x00'*46)] * {Count}");
        await Waits.Until(async () => (await hosts.Control.PortCountersAsync())[0].Received >= Count, "the switch to receive the frames");
        GraphStats stats = await StopAndCheckAsync(hosts);
        IReadOnlyList<SwitchPortCounters> ports = await hosts.Control.PortCountersAsync();
        Assert.Equal(Count, ports[1].SentFlooded);
        Assert.Equal(Count, ports[3].SentFlooded);
        Assert.Equal(0, ports[0].SentFlooded + ports[0].SentUnicast);
        Assert.Equal(0, ports[2].SentFlooded + ports[2].SentUnicast);
        Assert.Equal(Count, stats.Stage("tx_host_b").Consumed);
        Assert.Equal(Count, stats.Stage("tx_uplink").Consumed);
    }

    [Fact]
    public async Task BadInputIsDroppedAndCounted()
    {
        using var hosts = new SwitchedHosts();
        string trunk = hosts.Veths[3].PeerName;
        string mac = hosts.MacOf(3);
        // Jumbo frames leave d only with a larger MTU on both ends of its veth.
        hosts.D.Exec("ip", "link", "set", trunk, "mtu", "2000");
        Flow.TestKit.Shell.Run("ip", "link", "set", hosts.Veths[3].HostName, "mtu", "2000");
        SwitchedHosts.SendWithScapy(hosts.D, trunk,
            $"[Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=4095)/Raw(b'\\x00'*46)] * 3" +
            $" + [Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=30)/Raw(b'\\x00'*46)] * 4" +
            $" + [Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=10)/Raw(b'\\x00'*1600)] * 2");
        SwitchedHosts.SendWithScapy(hosts.A, hosts.Veths[0].PeerName,
            $"[Ether(src='{hosts.MacOf(0)}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=10)/Raw(b'\\x00'*46)] * 5");
        await Waits.Until(async () =>
        {
            IReadOnlyList<SwitchPortCounters> ports = await hosts.Control.PortCountersAsync();
            return ports[3].ReceiveDrops >= 9 && ports[0].ReceiveDrops >= 5;
        }, "the switch to see the bad frames");
        StageStats classifier = (await StopAndCheckAsync(hosts)).Stage(SwitchGraph.Classifier);
        Assert.Equal(3, classifier.DroppedFor("bad_tag"));
        Assert.Equal(4, classifier.DroppedFor("vlan_not_allowed"));
        Assert.Equal(2, classifier.DroppedFor("oversize"));
        Assert.Equal(5, classifier.DroppedFor("tagged_on_access"));
    }

    [Fact]
    public async Task APriorityTagOverAVlan20TagFromAnAccessPortNeverLeavesTheTrunkInVlan20()
    {
        // The review's H4 attack on this topology: a (access 10) sends [VID 0][VID 20] frames;
        // before the fix they left the uplink untagged in its native VLAN 10, that is as
        // VLAN-20 frames to d. Legitimate priority-tagged frames from a still reach d.
        using var hosts = new SwitchedHosts();
        string trunk = hosts.Veths[3].PeerName;
        const int Count = 5;
        long before = Flow.TestKit.VethPair.ReadCounter(trunk, hosts.D, "rx_packets");
        using (System.Diagnostics.Process sniffer = SwitchedHosts.BeginSniffVlan(hosts.D, trunk, count: 1, vlan: 20, timeoutSeconds: 8))
        {
            SwitchedHosts.SendWithScapy(hosts.A, hosts.Veths[0].PeerName,
                $"[Ether(src='{hosts.MacOf(0)}', dst='ff:ff:ff:ff:ff:ff')/Dot1Q(vlan=0)/Dot1Q(vlan=20)/IP(dst='198.18.20.3')/ICMP()] * {Count}" +
                $" + [Ether(src='{hosts.MacOf(0)}', dst='{hosts.MacOf(3)}')/Dot1Q(vlan=0, prio=5, type=0x88b5)/Raw(b'\\x00'*46)] * {Count}");
            Assert.True(sniffer.WaitForExit(TimeSpan.FromSeconds(30)), "scapy sniffer did not finish");
            Assert.DoesNotContain(hosts.MacOf(0), sniffer.StandardOutput.ReadToEnd());
        }
        await Waits.Until(() => VethPair.ReadCounter(trunk, hosts.D, "rx_packets") - before >= Count, "d to receive a's priority-tagged frames");
        StageStats classifier = (await StopAndCheckAsync(hosts)).Stage(SwitchGraph.Classifier);
        Assert.Equal(Count, classifier.DroppedFor("double_tagged"));
    }
}
