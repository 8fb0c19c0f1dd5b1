using Flow.Backends.Memif;
using Flow.Stages.Switching;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Switching;

/// <summary>
/// pipelines/switch.json itself, on each kind of port it offers: AF_PACKET on veths to Linux
/// hosts (<see cref="SwitchedHosts"/>' topology: p1, p2 access 10; p3 access 20; p4 trunk, 10
/// native), TAP interfaces moved into the hosts' namespaces, and memif to Flow memif peers.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class SwitchJsonBackendTests
{
    [Fact]
    public async Task OnAfPacketHostsInOneVlanPingAndHostsInAnotherDoNot()
    {
        using var hosts = new SwitchedHosts(buildGraph: veths => SwitchJson.Load(KernelPorts("af_packet", veths.Select(v => v.HostName).ToArray())));
        Assert.Equal("af_packet_rx", hosts.Graph.Stages.Single(s => s.Name == "p1_rx").Type);

        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "h1 could not ping h2 (both access VLAN 10)");
        Assert.True(SwitchedHosts.Ping(hosts.B, "198.18.10.4"), "h2 could not ping h4 over the trunk's native VLAN 10");
        Assert.False(SwitchedHosts.Ping(hosts.A, "198.18.10.3", count: 2), "h1 reached h3 across VLANs (10 -> 20)");
        Assert.False(SwitchedHosts.Ping(hosts.C, "198.18.10.1", count: 2), "h3 reached h1 across VLANs (20 -> 10)");

        IReadOnlyList<MacEntry> table = await hosts.Control.ShowMacTableAsync();
        Assert.Contains(table, e => e.Vlan == 10 && e.Mac.ToString() == hosts.MacOf(0) && e.Port == "p1");
        Assert.Contains(table, e => e.Vlan == 10 && e.Mac.ToString() == hosts.MacOf(1) && e.Port == "p2");
        Assert.Contains(table, e => e.Vlan == 20 && e.Mac.ToString() == hosts.MacOf(2) && e.Port == "p3");
        Assert.Contains(table, e => e.Vlan == 10 && e.Mac.ToString() == hosts.MacOf(3) && e.Port == "p4");
        await hosts.StopAsync();
        GraphStats stats = hosts.Graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        // Nothing of VLAN 10 reached p3; VLAN 20 had no other speaker (h4 has no tagged interface).
        Assert.Equal(0, stats.Stage("forward").OutOn("p3"));
    }

    /// <summary>
    /// switch.json at <c>shards=2</c>: each port is two AF_PACKET sockets in one fanout group, or
    /// two AF_XDP queues, one per shard, and 64 UDP flows from h1 to h2 spread over both copies of
    /// the switch; the VLANs hold on both.
    /// </summary>
    [Theory]
    [InlineData("af_packet")]
    [InlineData("af_xdp")]
    public async Task OnTwoShardsTheFlowsAreSharedAndHostsStillPingOnlyWithinTheirVlan(string backend)
    {
        // af_xdp: two queues on every veth, one per shard; a veth receives on the queue its
        // sender transmitted on, which the hosts' kernels pick by flow hash.
        using var hosts = new SwitchedHosts(buildGraph: veths =>
        {
            Dictionary<string, string> parameters = KernelPorts(backend, veths.Select(v => v.HostName).ToArray());
            parameters["shards"] = "2";
            return SwitchJson.Load(parameters);
        }, queues: 2);
        Assert.Equal(["p1_rx@0", "p1_rx@1"], hosts.Graph.Stages.Where(s => s.Name.StartsWith("p1_rx", StringComparison.Ordinal)).Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal([0, 1], hosts.Graph.Workers.Select(w => w.Id));

        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "h1 could not ping h2 (both access VLAN 10): " + string.Join("\n", hosts.Graph.GetStats().Stages));
        Assert.True(SwitchedHosts.Ping(hosts.B, "198.18.10.4"), "h2 could not ping h4 over the trunk's native VLAN 10");
        Assert.False(SwitchedHosts.Ping(hosts.A, "198.18.10.3", count: 2), "h1 reached h3 across VLANs (10 -> 20)");
        hosts.A.Exec(Shell.Python, "-c", """
            import socket
            for port in range(40000, 40064):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(('198.18.10.1', port))
                for i in range(3):
                    s.sendto(b'flow %d datagram %d' % (port, i), ('198.18.10.2', 9))
                s.close()
            """);
        await Waits.Until(() => hosts.Graph.GetStats().Summed("p2_tx").In >= 192, "the 192 datagrams to leave by p2");
        // One MAC table for both shards: h1 and h2 once each, whichever shard saw them.
        IReadOnlyList<MacEntry> table = await hosts.Control.ShowMacTableAsync();
        Assert.True(table.Count(e => e.Port == "p1") == 1 && table.Count(e => e.Port == "p2") == 1,
            "the table: " + string.Join(", ", table.Select(e => $"{e.Mac} vlan {e.Vlan} on {e.Port}")));
        Assert.Equal(table.Count, (await hosts.Control.LearnerCountersAsync()).Entries);

        await hosts.StopAsync();
        GraphStats stats = hosts.Graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        (long first, long second) = (stats.Stage("p1_rx@0").In, stats.Stage("p1_rx@1").In);
        Assert.True(first >= 10 && second >= 10, $"p1's frames split {first} / {second} between the shards");
        Assert.Equal(first + second, stats.Summed("p1_rx").In);
        Assert.Equal(0, stats.Summed("forward").OutOn("p3"));
    }

    /// <summary>
    /// <c>--set backend=dpdk</c>: every port a DPDK net_af_packet device on the host's veth, EAL
    /// inside the test process; the switch floods by cloning into DPDK mbufs and forwards between
    /// ports without a copy.
    /// </summary>
    [Fact]
    public async Task OnDpdkPortsHostsInOneVlanPingAndHostsInAnotherDoNot()
    {
        Assert.True(Flow.Backends.Dpdk.DpdkEal.IsSupported, $"DPDK backend not usable: {Flow.Backends.Dpdk.DpdkEal.NotSupportedReason}");
        using var hosts = new SwitchedHosts(buildGraph: veths => SwitchJson.Load(KernelPorts("dpdk", veths.Select(v => v.HostName).ToArray())));
        Assert.Equal("dpdk_rx", hosts.Graph.Stages.Single(s => s.Name == "p1_rx").Type);

        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "h1 could not ping h2 (both access VLAN 10) through DPDK ports");
        Assert.True(SwitchedHosts.Ping(hosts.B, "198.18.10.4"), "h2 could not ping h4 over the trunk's native VLAN 10 through DPDK ports");
        Assert.False(SwitchedHosts.Ping(hosts.A, "198.18.10.3", count: 2), "h1 reached h3 across VLANs (10 -> 20) through DPDK ports");
        await hosts.StopAsync();
        GraphStats stats = hosts.Graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(0, stats.Stage("forward").OutOn("p3"));
        Assert.True(stats.Stage("p2_tx").In > 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task OnTapPortsHostsBehindTheTapInterfacesPingWithinTheirVlan(int shards)
    {
        Shell.RequireRootAnd("ip", "busybox");
        var namespaces = new List<NetnsFixture>();
        FlowGraph? graph = null;
        try
        {
            for (int i = 0; i < 4; i++)
            {
                namespaces.Add(new NetnsFixture("swt" + i));
            }
            string[] taps = Enumerable.Range(1, 4).Select(i => NetnsFixture.UniqueName("t" + i, 15)).ToArray();
            Dictionary<string, string> parameters = KernelPorts("tap", taps);
            parameters["shards"] = shards.ToString(System.Globalization.CultureInfo.InvariantCulture);
            graph = SwitchJson.Load(parameters);
            // At two shards each TAP interface is multi-queue, one queue per shard.
            Assert.Equal(shards, graph.Stages.Count(s => s.Type == "tap_rx" && ShardNames.Split(s.Name).Name == "p1_rx"));
            string[] addresses = ["198.18.10.1", "198.18.10.2", "198.18.10.3", "198.18.10.4"];
            for (int i = 0; i < 4; i++)
            {
                // The switch holds the TAP fd; the interface itself moves into the host's namespace.
                Shell.Run("ip", "link", "set", taps[i], "netns", namespaces[i].Name);
                namespaces[i].Exec("ip", "addr", "add", addresses[i] + "/24", "dev", taps[i]);
                namespaces[i].Exec("ip", "link", "set", taps[i], "up");
            }
            graph.Start();

            Assert.True(SwitchedHosts.Ping(namespaces[0], "198.18.10.2"), "h1 could not ping h2 through TAP ports (VLAN 10)");
            Assert.True(SwitchedHosts.Ping(namespaces[3], "198.18.10.1"), "h4 could not ping h1 through the TAP trunk port (native VLAN 10)");
            Assert.False(SwitchedHosts.Ping(namespaces[0], "198.18.10.3", count: 2), "h1 reached h3 across VLANs through TAP ports");

            await graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
            GraphStats stats = graph.GetStats();
            Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
            Assert.True(stats.Summed("p2_tx").In > 0);
        }
        finally
        {
            graph?.Dispose();
            foreach (NetnsFixture ns in namespaces)
            {
                ns.Dispose();
            }
        }
    }

    /// <summary>
    /// The switch's four memif ports are clients; a second graph serves all four (a Flow memif
    /// peer per port). Broadcasts sent into p1 come out of p2 and p4 (VLAN 10), each exactly
    /// once per frame, and never out of p3 (VLAN 20) or back out of p1.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task OnMemifPortsBroadcastsFromAPeerReachThePeersOfItsVlanOnly(int shards)
    {
        const int Frames = 200;
        string socket = $"/run/flow-test-switch-{Environment.ProcessId}-{Guid.NewGuid():N}.sock";
        // The peers serve as many queue pairs as the switch has shards; the switch's copy s uses pair s.
        MemifOptions Server(int id, int queue) => new()
        {
            Socket = socket, Role = MemifRole.Server, InterfaceId = (uint)id, Name = $"peer{id}", QueuePairs = shards, Queue = queue,
        };

        var receivers = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding);
        var peers = new List<MemifRx>();
        for (int i = 1; i <= 4; i++)
        {
            for (int q = 0; q < shards; q++)
            {
                var rx = new MemifRx(Server(i, q));
                peers.Add(rx);
                receivers.Add($"peer{i}_rx{q}", rx).Add($"peer{i}@{q}", new Counter()).Add($"peer{i}_sink{q}", new NullSink())
                    .Connect($"peer{i}_rx{q}", $"peer{i}@{q}").Connect($"peer{i}@{q}", $"peer{i}_sink{q}");
            }
        }
        await using FlowGraph peerGraph = receivers.Build();
        await using FlowGraph switchGraph = SwitchJson.Load(new Dictionary<string, string>
        {
            ["memif_socket"] = socket,
            ["idle"] = "yielding",
            ["shards"] = shards.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        Assert.Equal(shards, switchGraph.Stages.Count(s => s.Type == "memif_rx" && ShardNames.Split(s.Name).Name == "p1_rx"));
        peerGraph.Start();
        switchGraph.Start();
        Assert.True(peers.All(p => p.Interface.WaitConnected(TimeSpan.FromSeconds(20))), "the switch's memif clients did not connect to the peers");

        // From 02:00:00:00:00:11 to everyone, ethertype 0x88b5 (IEEE local experimental), 60 bytes,
        // Frames / shards on each queue pair of p1's peer.
        string broadcast = "ffffffffffff 020000000011 88b5" + string.Concat(Enumerable.Repeat(" 00", 46));
        var senders = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding);
        for (int q = 0; q < shards; q++)
        {
            senders.Add($"gen{q}", new Generator(new GeneratorOptions { Template = broadcast, Count = Frames / shards, RatePps = 2000 }))
                .Add($"peer1_tx{q}", new MemifTx(Server(1, q)))
                .Connect($"gen{q}", $"peer1_tx{q}");
        }
        await using (FlowGraph sender = senders.Build())
        {
            await sender.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
            GraphStats sent = sender.GetStats();
            Assert.True(sent.IsBalanced);
            Assert.Equal(Frames, Enumerable.Range(0, shards).Sum(q => sent.Stage($"peer1_tx{q}").Consumed));
        }

        long Received(int port) => peerGraph.GetStats().Summed($"peer{port}").In;
        await Waits.TryUntil(() => Received(2) >= Frames && Received(4) >= Frames);
        var control = SwitchControl.Find(switchGraph); // the shards' copies are one switch, with one MAC table
        IReadOnlyList<MacEntry> table = await control.ShowMacTableAsync();
        await switchGraph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
        await peerGraph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Frames, Received(2));
        Assert.Equal(Frames, Received(4));
        Assert.Equal(0, Received(3));
        Assert.Equal(0, Received(1));
        Assert.Contains(table, e => e.Vlan == 10 && e.Mac.ToString() == "02:00:00:00:00:11" && e.Port == "p1");
        GraphStats stats = switchGraph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.True(peerGraph.GetStats().IsBalanced);
        Assert.Equal(Frames, stats.Summed("forward").OutOn("p2"));
        Assert.Equal(0, stats.Summed("forward").OutOn("p3"));
        // Each shard switched the frames that came in on its own queue pair.
        Assert.All(Enumerable.Range(0, shards), q => Assert.Equal(Frames / shards, stats.Stage(shards == 1 ? "p1_rx" : $"p1_rx@{q}").In));
    }

    /// <summary>--set backend=&lt;backend&gt; p&lt;n&gt;.interface=&lt;name&gt;, with small AF_PACKET rings for four test ports.</summary>
    private static Dictionary<string, string> KernelPorts(string backend, string[] interfaces)
    {
        var parameters = new Dictionary<string, string> { ["backend"] = backend, ["idle"] = "yielding" };
        for (int i = 0; i < interfaces.Length; i++)
        {
            parameters[$"p{i + 1}.interface"] = interfaces[i];
            parameters[$"p{i + 1}.af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""";
            parameters[$"p{i + 1}.dpdk"] = """{ "pool_mbufs": 2047 }""";
        }
        return parameters;
    }
}
