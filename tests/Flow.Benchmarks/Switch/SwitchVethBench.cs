using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Flow.Backends.AfXdp;
using Flow.Benchmarks.Backends.AfXdp;
using Flow.Benchmarks.Infrastructure;
using Flow.Stages.Switching;
using Flow.TestKit;

namespace Flow.Benchmarks.Switch;

/// <summary>
/// Second half of scenario <c>switch</c>: the same two Linux hosts on veth (<see cref="VethHosts"/>)
/// switched in turn by Flow's switch graph on AF_XDP, a Linux bridge, and Open vSwitch with the
/// userspace datapath (<c>datapath_type=netdev</c>). Same traffic for each, interleaved over
/// rounds: dpdk-testpmd txonly on h1 (64-byte frames to h2, figure: h2's kernel rx packets per
/// second), iperf3 UDP with 64-byte payloads at full speed (figure: packets per second the
/// receiver got) and one iperf3 TCP stream (figure: receiver's bits per second), each bounded in
/// time. Generators and receivers run on cpu 1; Flow's worker (busy poll) and ovs-vswitchd are
/// pinned to cpu 0; the Linux bridge runs in the kernel's softirq on whichever cpu the frame
/// arrives (mostly the sender's). Every variant first proves the path with pings and shows what
/// its switch learned.
/// </summary>
internal static class SwitchVethBench
{
    private const int SwitchCpu = 0;
    private const int HostCpu = 1;
    private const int IperfPort = 5201;

    private static readonly string[] AllNames = ["flow_afxdp", "linux_bridge", "ovs_netdev"];

    public static async Task<int> RunAsync(string[] args, Dictionary<string, object?> json)
    {
        int rounds = ScenarioArgs.Int(args, "--veth-rounds", 3);
        double seconds = ScenarioArgs.Double(args, "--veth-seconds", 3.0);
        string[] names = ScenarioArgs.String(args, "--veth-variants")?.Split(',') ?? AllNames;
        string? missing = Missing();
        if (missing is not null)
        {
            Console.Error.WriteLine("switch (veth): " + missing);
            return 1;
        }
        Console.WriteLine($"switch (veth): {rounds} rounds; per variant, each for {seconds:F1} s: testpmd txonly 64-byte frames (net_af_xdp on h1) counted by h2's rx counter, " +
            $"iperf3 UDP 64-byte payload -b 0, iperf3 TCP; hosts h1 {VethHosts.AddressH1} → h2 {VethHosts.AddressH2} on cpu {HostCpu} (tx checksum offload off); switch on cpu {SwitchCpu}");
        using var hosts = new VethHosts();
        using var ovs = new OvsInstance(SwitchCpu);
        Console.WriteLine($"  flow_afxdp:   SwitchGraph on af_xdp_rx/af_xdp_tx (native XDP, copy bind, need-wakeup), one worker, busy poll");
        Console.WriteLine($"  linux_bridge: kernel bridge, STP off, default learning/aging");
        Console.WriteLine($"  ovs_netdev:   {ovs.Version}, datapath_type=netdev, NORMAL action (MAC learning); " +
            (ovs.Started ? "ovsdb-server/ovs-vswitchd started by this run, ovs-vswitchd pinned to cpu 0" : "the system's running instance"));
        var blast = AllNames.ToDictionary(n => n, _ => new Samples());
        var udp = AllNames.ToDictionary(n => n, _ => new Samples());
        var tcp = AllNames.ToDictionary(n => n, _ => new Samples());
        int failures = 0;
        for (int round = 1; round <= rounds; round++)
        {
            foreach (string name in names)
            {
                try
                {
                    (double pps, double udpPps, double bps) = name switch
                    {
                        "flow_afxdp" => await FlowAfXdp(hosts, seconds, round == 1),
                        "linux_bridge" => LinuxBridge(hosts, seconds, round == 1),
                        _ => OvsNetdev(hosts, ovs, seconds, round == 1),
                    };
                    blast[name].Add(pps);
                    udp[name].Add(udpPps);
                    tcp[name].Add(bps);
                    Console.WriteLine($"  round {round} {name,-13} testpmd→h2 {pps / 1e6,7:F3} Mpps   iperf3 UDP {udpPps / 1e3,7:F1} kpps   TCP {bps / 1e9,6:F3} Gbit/s");
                }
                catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or JsonException or KeyNotFoundException)
                {
                    failures++;
                    Console.WriteLine($"  round {round} {name,-13} FAILED: {exception.Message}");
                }
            }
        }
        Console.WriteLine($"{"variant",-13} {"testpmd→h2 Mpps",16} {"min–max",14} {"iperf3 UDP kpps",16} {"min–max",14} {"TCP Gbit/s",11} {"min–max",12}");
        foreach (string name in AllNames)
        {
            Samples p = blast[name];
            Samples u = udp[name];
            Samples t = tcp[name];
            Console.WriteLine($"{name,-13} {p.Median / 1e6,16:F3} {$"{p.Min / 1e6:F3}–{p.Max / 1e6:F3}",14} {u.Median / 1e3,16:F1} {$"{u.Min / 1e3:F0}–{u.Max / 1e3:F0}",14} " +
                $"{t.Median / 1e9,11:F3} {$"{t.Min / 1e9:F2}–{t.Max / 1e9:F2}",12}");
            json[$"veth_{name}_pps"] = double.IsNaN(p.Median) ? null : Math.Round(p.Median);
            json[$"veth_{name}_udp_pps"] = double.IsNaN(u.Median) ? null : Math.Round(u.Median);
            json[$"veth_{name}_tcp_bps"] = double.IsNaN(t.Median) ? null : Math.Round(t.Median);
        }
        return failures;
    }

    private static string? Missing()
    {
        if (Environment.UserName != "root")
        {
            return "needs root (network namespaces, XDP, bridges)";
        }
        foreach (string tool in new[] { "/usr/bin/iperf3", "/bin/busybox", "/usr/bin/ovs-vsctl", "/usr/sbin/ovs-vswitchd", "/usr/sbin/ovsdb-server" })
        {
            if (!File.Exists(tool))
            {
                return $"{tool} is required (apt-get install -y iperf3 busybox openvswitch-switch)";
            }
        }
        return AfXdpPort.IsSupported ? null : "AF_XDP: " + AfXdpPort.NotSupportedReason;
    }

    private static async Task<(double Pps, double UdpPps, double Bps)> FlowAfXdp(VethHosts hosts, double seconds, bool describe)
    {
        IReadOnlyList<SwitchPortOptions> ports = [SwitchPortOptions.Access("port_a", 1, id: 0), SwitchPortOptions.Access("port_b", 1, id: 1)];
        var a = new AfXdpOptions { Interface = hosts.PortA, AttachMode = AfXdpAttachMode.Native, BindMode = AfXdpBindMode.Auto };
        var b = a with { Interface = hosts.PortB };
        (double, double, double) result;
        GraphStats stats;
        {
            await using FlowGraph graph = new GraphBuilder().Worker(0, SwitchCpu, IdlePolicy.BusyPoll)
                .AddSwitch(ports)
                .Add("rx_a", new AfXdpRx(a with { InputPort = 0 })).Connect("rx_a", SwitchGraph.Classifier)
                .Add("rx_b", new AfXdpRx(b with { InputPort = 1 })).Connect("rx_b", SwitchGraph.Classifier)
                .Add("tx_a", new AfXdpTx(a)).Connect(SwitchGraph.TaggerOf("port_a"), "tx_a")
                .Add("tx_b", new AfXdpTx(b)).Connect(SwitchGraph.TaggerOf("port_b"), "tx_b")
                .Build();
            var control = new SwitchControl(graph);
            graph.Start();
            try
            {
                Ping(hosts);
                result = Traffic(hosts, seconds);
            }
            catch (InvalidOperationException exception)
            {
                throw new InvalidOperationException(exception.Message + "; graph: " + string.Join("; ", graph.GetStats().Stages), exception);
            }
            IReadOnlyList<MacEntry> table = await control.ShowMacTableAsync();
            IReadOnlyList<SwitchPortCounters> counters = await control.PortCountersAsync();
            await graph.StopAsync(drain: true);
            stats = graph.GetStats();
            if (describe)
            {
                Console.WriteLine($"    flow_afxdp learned [{string.Join(", ", table.Select(e => $"{e.Mac} on {e.Port}"))}]; " +
                    $"known unicast {counters.Sum(c => c.SentUnicast)}, flooded {counters.Sum(c => c.SentFlooded)}; drops " +
                    string.Join(" ", stats.Stages.SelectMany(s => s.Drops).Where(d => d.Packets > 0).Select(d => $"{d.Reason}={d.Packets}")));
            }
            Verify(table.Count >= 2, "flow_afxdp: the switch did not learn both hosts");
        }
        Verify(stats.IsBalanced, "flow_afxdp: conservation does not hold: " + string.Join("; ", stats.Stages));
        foreach (string port in new[] { hosts.PortA, hosts.PortB })
        {
            Verify(!VethHosts.Run("ip", $"link show dev {port}").Contains("xdp", StringComparison.Ordinal), $"flow_afxdp: an XDP program stayed on {port}");
        }
        return result;
    }

    private static (double Pps, double UdpPps, double Bps) LinuxBridge(VethHosts hosts, double seconds, bool describe)
    {
        string bridge = $"fsbr{Environment.ProcessId % 100000}";
        VethHosts.Run("ip", $"link add {bridge} type bridge stp_state 0");
        try
        {
            VethHosts.Run("sysctl", $"-qw net.ipv6.conf.{bridge}.disable_ipv6=1");
            VethHosts.Run("ip", $"link set {hosts.PortA} master {bridge}");
            VethHosts.Run("ip", $"link set {hosts.PortB} master {bridge}");
            VethHosts.Run("ip", $"link set {bridge} up");
            Ping(hosts);
            (double, double, double) result = Traffic(hosts, seconds);
            if (describe)
            {
                string fdb = VethHosts.Run("bridge", $"fdb show br {bridge} dynamic");
                Console.WriteLine($"    linux_bridge learned [{string.Join(", ", fdb.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()))}]");
            }
            return result;
        }
        finally
        {
            VethHosts.Run("ip", $"link del {bridge}");
        }
    }

    private static (double Pps, double UdpPps, double Bps) OvsNetdev(VethHosts hosts, OvsInstance ovs, double seconds, bool describe)
    {
        string bridge = $"fsovs{Environment.ProcessId % 100000}";
        ovs.AddBridge(bridge, hosts.PortA, hosts.PortB);
        try
        {
            Ping(hosts);
            (double, double, double) result = Traffic(hosts, seconds);
            if (describe)
            {
                Console.WriteLine($"    ovs_netdev learned [{string.Join(" | ", ovs.Fdb(bridge).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()))}]");
            }
            return result;
        }
        finally
        {
            ovs.DeleteBridge(bridge);
        }
    }

    /// <summary>h1 pings h2 through the switch (bounded); a switch that does not pass them fails the variant.</summary>
    private static void Ping(VethHosts hosts)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                VethHosts.Run("ip", $"netns exec {hosts.H1} busybox ping -c 3 -i 0.2 -W 2 -w 5 -q {VethHosts.AddressH2}");
                return;
            }
            catch (InvalidOperationException) when (attempt < 2)
            {
                // a userspace switch may still be opening its ports; try again
            }
        }
    }

    /// <summary>
    /// The three measurements, h1 → h2: dpdk-testpmd txonly (net_af_xdp on h1's eth0, 64-byte
    /// frames to h2's MAC) counted by h2's kernel rx counter; iperf3 UDP (64-byte payload,
    /// unlimited rate) received pps; iperf3 TCP received bit/s.
    /// </summary>
    private static (double Pps, double UdpPps, double Bps) Traffic(VethHosts hosts, double seconds)
    {
        double pps = Blast(hosts, seconds);
        (double udp, double bps) = Iperf(hosts, seconds);
        return (pps, udp, bps);
    }

    private static double Blast(VethHosts hosts, double seconds)
    {
        string counter = $"netns exec {hosts.H2} cat /sys/class/net/eth0/statistics/rx_packets";
        using var generator = new BenchTestpmd(hosts.H1, "eth0", HostCpu,
            $"--forward-mode=txonly --eth-peer=0,{hosts.MacOf(hosts.H2)} --txpkts=64");
        Thread.Sleep(1000);
        long before = long.Parse(VethHosts.Run("ip", counter).Trim(), CultureInfo.InvariantCulture);
        long t0 = Stopwatch.GetTimestamp();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long after = long.Parse(VethHosts.Run("ip", counter).Trim(), CultureInfo.InvariantCulture);
        double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        Verify(after > before, "the generator's frames did not reach h2");
        return (after - before) / elapsed;
    }

    /// <summary>iperf3 UDP (64-byte payload, unlimited rate) then TCP from h1 to h2: received pps, received bit/s.</summary>
    private static (double Pps, double Bps) Iperf(VethHosts hosts, double seconds)
    {
        string time = seconds.ToString("F1", CultureInfo.InvariantCulture);
        using Process server = Process.Start(new ProcessStartInfo("ip", $"netns exec {hosts.H2} taskset -c {HostCpu} iperf3 -s -p {IperfPort} --logfile /dev/null")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("cannot start iperf3 -s");
        try
        {
            if (!Waits.TryUntilBlocking(() => VethHosts.Run("ip", $"netns exec {hosts.H2} ss -ltn").Contains($":{IperfPort}", StringComparison.Ordinal), TimeSpan.FromSeconds(10)))
            {
                throw new InvalidOperationException("iperf3 server did not listen");
            }
            string client = $"netns exec {hosts.H1} taskset -c {HostCpu} timeout 25 iperf3 -c {VethHosts.AddressH2} -p {IperfPort} -t {time} -J";
            using JsonDocument u = JsonDocument.Parse(VethHosts.Run("ip", client + " -u -b 0 -l 64"));
            JsonElement sum = u.RootElement.GetProperty("end").GetProperty("sum");
            double pps = (sum.GetProperty("packets").GetInt64() - sum.GetProperty("lost_packets").GetInt64()) / sum.GetProperty("seconds").GetDouble();
            using JsonDocument t = JsonDocument.Parse(VethHosts.Run("ip", client));
            double bps = t.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
            return (pps, bps);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
                server.WaitForExit(10_000);
            }
        }
    }

    private static void Verify(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
