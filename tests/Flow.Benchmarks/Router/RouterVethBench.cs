using System.Diagnostics;
using System.Globalization;
using Flow.Backends.AfXdp;
using Flow.Benchmarks.Backends.AfXdp;
using Flow.Benchmarks.Infrastructure;
using Flow.Benchmarks.Switch;
using Flow.Stages.Ipv4;

namespace Flow.Benchmarks.Router;

/// <summary>
/// The veth half of scenario <c>router</c>: two Linux hosts on veth (<see cref="VethHosts"/>,
/// h1 198.18.0.1/24, h2 198.18.1.1/24, each with a default route via the router), routed in
/// turn by Flow's router on AF_XDP (pipelines/router.json with <c>backend=af_xdp</c>, or the
/// graph built in code with <c>--code-graph</c>) and by Linux's own IPv4 forwarding:
/// <code>
///  ns h1: eth0 198.18.0.1 ═veth═ PortA ┐  flow_router_afxdp: RouterGraph on af_xdp_rx/tx (native XDP, busy poll, cpu 0),
///                                      ├      lan 198.18.0.254/24, wan 198.18.1.254/24, the ports' own MACs
///  ns h2: eth0 198.18.1.1 ═veth═ PortB ┘  kernel_fwd: PortA and PortB moved into a private namespace with the same
///                                             addresses and net.ipv4.ip_forward=1 (and moved back after)
///                                         kernel_masq: the same with nftables masquerading what leaves by PortB
/// </code>
/// Same generator for both, from cpu 1: dpdk-testpmd txonly on net_af_xdp on h1's eth0, 64-byte
/// UDP frames 198.18.0.1 → 198.18.1.1 to the router's MAC (PortA's, the same in both). Figure:
/// h2's kernel rx counter per second; h2 drops the UDP at its ingress hook after counting it. Each variant first proves the path with pings (h1 → h2,
/// both neighbours resolved by ARP). Loss (what testpmd sent minus what h2 received, over the
/// whole run) is reported, not failed: the generator offers more than either router takes.
/// Frames are counted, not checked (the memif part checks Flow's routed frames byte by byte).
/// The kernel forwards in softirq on the CPU the frame arrives on, which for a veth is the
/// sender's (cpu 1, testpmd's); Flow's worker has cpu 0 to itself. Steering the kernel's
/// forwarding to cpu 0 (RPS on the router's ports) was tried: it slowed the kernel from
/// 1.35 to 0.97 Mpps (a cross-CPU interrupt per backlog batch, costly in this VM), so the
/// kernel runs as it is fastest here.
/// </summary>
internal static class RouterVethBench
{
    private const int RouterCpu = 0;
    private const int HostCpu = 1;
    private const string H1 = "198.18.0.1";
    private const string H2 = "198.18.1.1";
    private static readonly string[] s_routerAddresses = ["198.18.0.254", "198.18.1.254"];

    public static async Task<int> RunAsync(string[] args, string? routerFile, Dictionary<string, object?> json)
    {
        int rounds = ScenarioArgs.Int(args, "--veth-rounds", 3);
        double seconds = ScenarioArgs.Double(args, "--veth-seconds", 3.0);
        string? missing = Environment.UserName != "root" ? "needs root (network namespaces, XDP)"
            : !AfXdpPort.IsSupported ? "AF_XDP: " + AfXdpPort.NotSupportedReason
            : new[] { "/bin/busybox", "/usr/sbin/ethtool", "/usr/bin/dpdk-testpmd", "/usr/sbin/nft" }.FirstOrDefault(t => !File.Exists(t)) is { } tool
                ? $"{tool} is required (apt-get install -y busybox ethtool dpdk nftables)" : null;
        if (missing is not null)
        {
            Console.Error.WriteLine("router (veth): " + missing);
            return 1;
        }
        Console.WriteLine($"router (veth): {rounds} rounds, {seconds:F1} s window: testpmd txonly 64-byte frames (net_af_xdp on h1, cpu {HostCpu}) {H1} → {H2} " +
            $"through the router, counted by h2's rx counter; flow_router_afxdp worker on cpu {RouterCpu}");
        using var hosts = new VethHosts(H1, H2);
        VethHosts.Run("ip", $"-n {hosts.H1} route add default via {s_routerAddresses[0]}");
        VethHosts.Run("ip", $"-n {hosts.H2} route add default via {s_routerAddresses[1]}");
        // h2 is a counting sink: its rx counter counts at the veth, then its ingress hook drops the
        // UDP. Without it, h2's kernel would route every datagram and answer port unreachable —
        // work done on the CPU that sent the frame into h2's veth: Flow's worker core, but the
        // generator's core when the kernel forwards. Pings still reach h2.
        VethHosts.Run("ip", $"netns exec {hosts.H2} nft add table netdev flow_sink");
        VethHosts.Run("ip", $"netns exec {hosts.H2} nft add chain netdev flow_sink ingress {{ type filter hook ingress device eth0 priority 0 ; }}");
        VethHosts.Run("ip", $"netns exec {hosts.H2} nft add rule netdev flow_sink ingress meta l4proto udp counter drop");
        string routerMac = VethHosts.MacOfLink(hosts.PortA);
        // flow_nat_afxdp: the shipped file with its NAT on, against nftables masquerade (kernel_masq).
        string[] names = routerFile is null ? ["flow_router_afxdp", "kernel_fwd", "kernel_masq"] : ["flow_router_afxdp", "kernel_fwd", "flow_nat_afxdp", "kernel_masq"];
        var samples = names.ToDictionary(n => n, _ => new Samples());
        var sent = names.ToDictionary(n => n, _ => 0L);
        var received = names.ToDictionary(n => n, _ => 0L);
        int failures = 0;
        for (int round = 1; round <= rounds; round++)
        {
            foreach (string name in names)
            {
                try
                {
                    (double pps, long tx, long rx) = name switch
                    {
                        "flow_router_afxdp" => await FlowAfXdp(hosts, routerMac, routerFile, seconds, nat: false),
                        "flow_nat_afxdp" => await FlowAfXdp(hosts, routerMac, routerFile, seconds, nat: true),
                        "kernel_masq" => Kernel(hosts, routerMac, seconds, masquerade: true),
                        _ => Kernel(hosts, routerMac, seconds, masquerade: false),
                    };
                    samples[name].Add(pps);
                    sent[name] += tx;
                    received[name] += rx;
                    Console.WriteLine($"  round {round} {name,-18} {pps / 1e6,8:F3} Mpps (testpmd sent {tx}, h2 received {rx})");
                }
                catch (Exception exception) when (exception is InvalidOperationException or FailedStartException)
                {
                    failures++;
                    Console.WriteLine($"  round {round} {name,-18} FAILED: {exception.Message}");
                }
            }
        }
        Samples flow = samples["flow_router_afxdp"];
        Samples kernel = samples["kernel_fwd"];
        foreach (string name in names)
        {
            Samples s = samples[name];
            Console.WriteLine($"{name,-18} {s.Median / 1e6,8:F3} Mpps median ({s.Min / 1e6:F3}–{s.Max / 1e6:F3}), lost {sent[name] - received[name]} of {sent[name]}");
        }
        Console.WriteLine($"flow_router_afxdp/kernel_fwd: {flow.Median / kernel.Median:F2} ratio of the medians (target ≥ 1.50)");
        json["kernel_fwd_pps"] = RouterScenario.Figure(kernel.Median);
        json["flow_router_afxdp_pps"] = RouterScenario.Figure(flow.Median);
        json["kernel_fwd_pps_min"] = RouterScenario.Figure(kernel.Min);
        json["kernel_fwd_pps_max"] = RouterScenario.Figure(kernel.Max);
        json["flow_router_afxdp_pps_min"] = RouterScenario.Figure(flow.Min);
        json["flow_router_afxdp_pps_max"] = RouterScenario.Figure(flow.Max);
        json["flow_router_afxdp_vs_kernel_fwd"] = RouterScenario.Ratio(flow.Median / kernel.Median);
        Samples masquerade = samples["kernel_masq"];
        json["kernel_masq_pps"] = RouterScenario.Figure(masquerade.Median);
        json["kernel_masq_pps_min"] = RouterScenario.Figure(masquerade.Min);
        json["kernel_masq_pps_max"] = RouterScenario.Figure(masquerade.Max);
        if (samples.TryGetValue("flow_nat_afxdp", out Samples? nat))
        {
            Console.WriteLine($"flow_nat_afxdp/kernel_masq: {nat.Median / masquerade.Median:F2} ratio of the medians (target ≥ 1.50)");
            json["flow_nat_afxdp_pps"] = RouterScenario.Figure(nat.Median);
            json["flow_nat_afxdp_pps_min"] = RouterScenario.Figure(nat.Min);
            json["flow_nat_afxdp_pps_max"] = RouterScenario.Figure(nat.Max);
            json["flow_nat_afxdp_vs_kernel_masq"] = RouterScenario.Ratio(nat.Median / masquerade.Median);
        }
        foreach (string name in names)
        {
            json[$"{name}_sent"] = sent[name];
            json[$"{name}_received"] = received[name];
            json[$"{name}_lost"] = sent[name] - received[name];
        }
        return failures;
    }

    private static async Task<(double Pps, long Sent, long Received)> FlowAfXdp(VethHosts hosts, string routerMac, string? routerFile, double seconds, bool nat)
    {
        string wanMac = VethHosts.MacOfLink(hosts.PortB);
        IReadOnlyList<RouterInterfaceOptions> interfaces =
        [
            new() { Name = "lan", Id = 0, Mac = routerMac, Addresses = [s_routerAddresses[0] + "/24"] },
            new() { Name = "wan", Id = 1, Mac = wanMac, Addresses = [s_routerAddresses[1] + "/24"] },
        ];
        var a = new AfXdpOptions { Interface = hosts.PortA, AttachMode = AfXdpAttachMode.Native, BindMode = AfXdpBindMode.Auto, BusyPollBudget = 64 };
        var b = a with { Interface = hosts.PortB };
        (double, long, long) result;
        GraphStats stats;
        {
            // The same AF_XDP settings for the file: native XDP, bind mode chosen by the kernel, busy polling (budget 64).
            const string AfXdp = "{\"attach_mode\": \"native\", \"bind_mode\": \"auto\", \"busy_poll_budget\": 64}";
            await using IRouterUnderTest router = routerFile is null
                ? new RouterGraph(interfaces, [],
                    (new AfXdpRx(a with { InputPort = 0 }), new AfXdpTx(a)), (new AfXdpRx(b with { InputPort = 1 }), new AfXdpTx(b)), RouterCpu, checks: false)
                : RouterFile.Load(routerFile, RouterScenario.FileParameters("af_xdp", [routerMac, wanMac], [s_routerAddresses[0] + "/24", s_routerAddresses[1] + "/24"], "[]",
                    ("lan.interface", hosts.PortA), ("wan.interface", hosts.PortB), ("lan.af_xdp", AfXdp), ("wan.af_xdp", AfXdp),
                    ("nat.enabled", nat ? "true" : "false")), RouterCpu, checks: false);
            router.Graph.Start();
            try
            {
                Ping(hosts);
                int worker = router.Graph.GetStats().Workers[0].OsThreadId;
                result = Blast(hosts, routerMac, seconds, () => ThreadCpuTime.Nanoseconds(worker));
            }
            catch (InvalidOperationException exception)
            {
                throw new InvalidOperationException(exception.Message + "; graph: " + string.Join("; ", router.Graph.GetStats().Stages), exception);
            }
            await router.Graph.StopAsync(drain: true);
            stats = router.Graph.GetStats();
        }
        string name = nat ? "flow_nat_afxdp" : "flow_router_afxdp";
        if (nat)
        {
            StageStats natOut = stats.Stage("nat_out");
            Verify(natOut.OutOn("out") > 0 && natOut.DroppedTotal == 0, $"flow_nat_afxdp: nat_out passed {natOut.OutOn("out")}, dropped {natOut.DroppedTotal}");
        }
        Console.WriteLine($"    {name}: routed {stats.Stage("ipv4_forward").OutOn("forwarded")}; drops " +
            string.Join(" ", stats.Stages.SelectMany(s => s.Drops).Where(d => d.Packets > 0).Select(d => $"{d.Reason}={d.Packets}")));
        Verify(stats.IsBalanced, $"{name}: conservation does not hold: " + string.Join("; ", stats.Stages));
        foreach (string port in new[] { hosts.PortA, hosts.PortB })
        {
            Verify(!VethHosts.Run("ip", $"link show dev {port}").Contains("xdp", StringComparison.Ordinal), $"{name}: an XDP program stayed on {port}");
        }
        return result;
    }

    /// <summary>
    /// Linux forwarding: both router ends moved into a private namespace with ip_forward=1, moved
    /// back afterwards. With <paramref name="masquerade"/> (kernel_masq), nftables masquerades what
    /// leaves by PortB, as a home router's NAT does: conntrack then tracks the flow and every
    /// packet is translated to PortB's address, which h2's socket-less counter does not see but
    /// the rule's counter proves (the ping's first packet went through it).
    /// </summary>
    private static (double Pps, long Sent, long Received) Kernel(VethHosts hosts, string routerMac, double seconds, bool masquerade)
    {
        string ns = $"{hosts.H1}-r";
        string[] ports = [hosts.PortA, hosts.PortB];
        VethHosts.Run("ip", $"netns add {ns}");
        try
        {
            VethHosts.Run("ip", $"netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
            VethHosts.Run("ip", $"netns exec {ns} sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
            VethHosts.Run("ip", $"netns exec {ns} sysctl -qw net.ipv4.ip_forward=1");
            for (int i = 0; i < ports.Length; i++)
            {
                VethHosts.Run("ip", $"link set {ports[i]} netns {ns}");
                VethHosts.Run("ip", $"-n {ns} addr add {s_routerAddresses[i]}/24 dev {ports[i]}");
                VethHosts.Run("ip", $"-n {ns} link set {ports[i]} up");
            }
            if (masquerade)
            {
                VethHosts.Run("ip", $"netns exec {ns} nft add table ip flow_bench");
                VethHosts.Run("ip", $"netns exec {ns} nft add chain ip flow_bench postrouting {{ type nat hook postrouting priority srcnat ; }}");
                VethHosts.Run("ip", $"netns exec {ns} nft add rule ip flow_bench postrouting oifname {ports[1]} counter masquerade");
            }
            Ping(hosts);
            (double Pps, long Sent, long Received) result = Blast(hosts, routerMac, seconds, null);
            if (masquerade)
            {
                string rules = VethHosts.Run("ip", $"netns exec {ns} nft list table ip flow_bench");
                Verify(!rules.Contains("counter packets 0 ", StringComparison.Ordinal), "kernel_masq: the masquerade rule saw no packet: " + rules);
            }
            return result;
        }
        finally
        {
            foreach (string port in ports)
            {
                try
                {
                    VethHosts.Run("ip", $"-n {ns} link set {port} netns {Environment.ProcessId}");
                    VethHosts.Run("sysctl", $"-qw net.ipv6.conf.{port}.disable_ipv6=1");
                    VethHosts.Run("ip", $"link set {port} up");
                }
                catch (InvalidOperationException)
                {
                    // not moved in (the namespace's setup failed before it)
                }
            }
            VethHosts.Run("ip", $"netns del {ns}");
        }
    }

    /// <summary>h1 pings h2 through the router (bounded); a router that does not pass them fails the variant.</summary>
    private static void Ping(VethHosts hosts)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                VethHosts.Run("ip", $"netns exec {hosts.H1} busybox ping -c 3 -i 0.2 -W 2 -w 5 -q {H2}");
                return;
            }
            catch (InvalidOperationException) when (attempt < 2)
            {
                // the router may still be opening its ports or resolving h2; try again
            }
        }
    }

    /// <summary>testpmd txonly on h1 to the router's MAC, h1 → h2; h2's rx packets per second over the window, what testpmd sent and h2 received in all.</summary>
    /// <remarks><paramref name="workerCpu"/>: the router's worker CPU time, when it has one (Flow), printed as its share of the window and per packet.</remarks>
    private static (double Pps, long Sent, long Received) Blast(VethHosts hosts, string routerMac, double seconds, Func<long>? workerCpu)
    {
        string counter = $"netns exec {hosts.H2} cat /sys/class/net/eth0/statistics/rx_packets";
        long start = long.Parse(VethHosts.Run("ip", counter).Trim(), CultureInfo.InvariantCulture);
        using var generator = new BenchTestpmd(hosts.H1, "eth0", HostCpu,
            $"--forward-mode=txonly --eth-peer=0,{routerMac} --txpkts=64 --tx-ip={H1},{H2}");
        Thread.Sleep(1000);
        long before = long.Parse(VethHosts.Run("ip", counter).Trim(), CultureInfo.InvariantCulture);
        long cpuBefore = workerCpu?.Invoke() ?? 0;
        long t0 = Stopwatch.GetTimestamp();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long after = long.Parse(VethHosts.Run("ip", counter).Trim(), CultureInfo.InvariantCulture);
        double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        if (workerCpu is not null)
        {
            double cpu = (workerCpu() - cpuBefore) / 1e9;
            Console.WriteLine($"    Flow's worker ran {100 * cpu / elapsed:F0} % of the window: {(after - before) / cpu / 1e6:F3} M packets per CPU-second");
        }
        generator.Stop();
        (_, long sent) = generator.SettledCounters();
        Thread.Sleep(200);
        long end = long.Parse(VethHosts.Run("ip", counter).Trim(), CultureInfo.InvariantCulture);
        Verify(after > before, "the generator's frames did not reach h2");
        return ((after - before) / elapsed, sent, end - start);
    }

    private static void Verify(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
