using System.Globalization;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// pipelines/router.json forwarding between Linux hosts (<see cref="RoutedHosts"/>), with the
/// hosts' own tools as the oracles: ping, traceroute, tracepath, iperf3.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class RouterJsonTests
{
    /// <summary>Every backend, and AF_PACKET at two shards (one fanout group per port; the one-writer stages on shard 0).</summary>
    public static TheoryData<string> Backends => new() { "af_packet", "af_xdp", "tap", "memif", "dpdk", "af_packet:2" };

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task HostsPingAcrossTheRouterTheFirstPingHeldWhileArpResolves(string backend)
    {
        using var hosts = new RoutedHosts(backend);

        // One echo, never retried: it waits in the hold queue while the router asks for
        // 192.168.100.1, then leaves — a router that dropped it would fail here.
        ShellResult first = hosts.Lan.TryExec(TimeSpan.FromSeconds(15), "ping", "-n", "-c", "1", "-W", "5", RoutedHosts.Beyond);
        Assert.True(first.ExitCode == 0, $"the first ping across the router ({backend}) got no reply:\n{first.Output}");
        Assert.True(RoutedHosts.Ping(hosts.Wan, RoutedHosts.LanHost), "the wan host could not ping the lan host");
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.WanHost, size: 1400), "1400-byte pings did not cross");

        // The router's own address answers with TTL 64 (sent by local_lookup, not forwarded).
        ShellResult own = hosts.Lan.TryExec(TimeSpan.FromSeconds(10), "ping", "-n", "-c", "2", "-i", "0.2", "-W", "3", RoutedHosts.LanRouter);
        Assert.True(own.ExitCode == 0, own.Output);
        Assert.Contains("ttl=64", own.Output, StringComparison.Ordinal);
        // Forwarded replies from the wan host (TTL 64 there) arrive with one hop spent.
        ShellResult far = hosts.Lan.TryExec(TimeSpan.FromSeconds(10), "ping", "-n", "-c", "1", "-W", "3", RoutedHosts.WanHost);
        Assert.Contains("ttl=63", far.Output, StringComparison.Ordinal);

        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.True(stats.Summed("ipv4_forward").OutOn("forwarded") >= 10);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task TracerouteShowsTheRoutersHopAndTheRoutersOwnPingIsAnswered(string backend)
    {
        using var hosts = new RoutedHosts(backend);
        Shell.RequireRootAnd("traceroute");

        string[] hops = Traceroute(hosts, "-I");
        Assert.True(hops.Length >= 2 && hops[0] == RoutedHosts.LanRouter && hops[1] == RoutedHosts.Beyond,
            $"traceroute -I ({backend}): {string.Join(" | ", hops)}");

        ControlReply reply = await hosts.ControlAsync("ping", Arguments(("address", RoutedHosts.LanHost), ("count", "3"), ("interval", "100")));
        Assert.True(reply.Message!.Contains("3 sent, 3 received", StringComparison.Ordinal), Describe(reply));
        Assert.All(reply.Rows, row => Assert.Equal(("reply", RoutedHosts.LanHost, "64"), (row[2], row[1], row[4])));

        ControlReply far = await hosts.ControlAsync("ping", Arguments(("address", RoutedHosts.Beyond), ("count", "2"), ("interval", "100"), ("size", "1000")));
        Assert.True(far.Message!.Contains("2 sent, 2 received", StringComparison.Ordinal), Describe(far));
        Assert.All(far.Rows, row => Assert.Equal("1000", row[3]));
        await hosts.StopAsync();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task TracerouteByUdpAndTcpAlsoShowsTheRoutersHop(string backend)
    {
        using var hosts = new RoutedHosts(backend);
        Shell.RequireRootAnd("traceroute", "socat");
        // traceroute -T needs a listener (or a RST) at the far end: socat listens on 80.
        hosts.Wan.Begin("socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:true");

        foreach (string mode in new[] { "-U", "-T" })
        {
            string[] hops = Traceroute(hosts, mode);
            Assert.True(hops.Length >= 2 && hops[0] == RoutedHosts.LanRouter && hops[1] == RoutedHosts.Beyond,
                $"traceroute {mode} ({backend}): {string.Join(" | ", hops)}");
        }
        GraphStats stats = await hosts.StopAsync();
        // One probe per TTL (-q 1): the TTL-1 probe of each mode expired at the router.
        Assert.True(stats.Summed("ipv4_forward").OutOn("time_exceeded") >= 2, "time exceeded was not asked for each TTL-1 probe");
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task TracepathFindsThe1280MtuOfTheWanPort(string backend)
    {
        using var hosts = new RoutedHosts(backend, new Dictionary<string, string> { ["wan.mtu"] = "1280" });
        Shell.RequireRootAnd("tracepath");

        ShellResult result = hosts.Lan.TryExec(TimeSpan.FromSeconds(40), "tracepath", "-n", "-m", "4", RoutedHosts.Beyond);
        Assert.True(result.Output.Contains("pmtu 1280", StringComparison.Ordinal), result.Output);
        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.Summed("ipv4_output").OutOn("icmp") >= 1);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task APingOfADeadNeighbourEndsInHostUnreachableAndANetWithoutRouteInNetUnreachable(string backend)
    {
        using var hosts = new RoutedHosts(backend, new Dictionary<string, string> { ["routes"] = "[]" });

        // No route beyond the wan subnet now: the lan host hears net unreachable from the router.
        ShellResult noRoute = hosts.Lan.TryExec(TimeSpan.FromSeconds(10), "ping", "-n", "-c", "1", "-W", "3", RoutedHosts.Beyond);
        Assert.Contains($"From {RoutedHosts.LanRouter} icmp_seq=1 Destination Net Unreachable", noRoute.Output, StringComparison.Ordinal);

        // 192.168.1.99 never answers ARP: 3 unicast + 3 broadcast probes 1 s apart, then the
        // held request comes back to the router's own ping as host unreachable.
        ControlReply dead = await hosts.ControlAsync("ping", Arguments(("address", "192.168.1.99"), ("count", "1"), ("timeout", "9000")));
        Assert.Equal(("192.168.1.1", "host_unreachable"), (dead.Rows[0][1], dead.Rows[0][2]));
        Assert.True(dead.Message!.Contains("1 sent, 0 received", StringComparison.Ordinal), Describe(dead));

        // The router's own address answers the router: out through local_lookup, back in through ipv4_local.
        ControlReply self = await hosts.ControlAsync("ping", Arguments(("address", RoutedHosts.WanRouter), ("count", "1")));
        Assert.True((self.Rows[0][1], self.Rows[0][2]) == (RoutedHosts.WanRouter, "reply"), Describe(self));

        // The lan host's own ping to a dead address on the wan side hears host unreachable too.
        ShellResult deadForLan = hosts.Lan.TryExec(TimeSpan.FromSeconds(20), "ping", "-n", "-c", "1", "-W", "9", "192.168.100.77");
        Assert.Contains("Destination Host Unreachable", deadForLan.Output, StringComparison.Ordinal);
        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task TenThousandRouteChangesDuringIperf3LoseNothingOnAnUntouchedPrefix(string backend)
    {
        using var hosts = new RoutedHosts(backend);
        Shell.RequireRootAnd("iperf3");
        hosts.Wan.Begin("iperf3", "-s", "-1", "-B", RoutedHosts.Beyond);
        await Waits.Until(() => hosts.Wan.TryExec(TimeSpan.FromSeconds(5), "ss", "-ltn").Output.Contains(":5201", StringComparison.Ordinal),
            "iperf3 server listening", TimeSpan.FromSeconds(15));
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.Beyond, count: 1), "no path before the test");

        Task<ShellResult> client = Task.Run(() => hosts.Lan.TryExec(TimeSpan.FromSeconds(30), "iperf3", "-c", RoutedHosts.Beyond, "-u", "-b", "4M", "-l", "1000",
            "-t", "4", "--json"));
        // 5000 adds and 5000 deletes of prefixes under 10.0.0.0/8, none covering 198.51.100.1,
        // through the table the running lookups read (what route add|del do).
        int changes = 0;
        var gateway = new Flow.Protocols.Ipv4.Ipv4Address(192, 168, 100, 1);
        while (changes < 10_000)
        {
            for (int i = 0; i < 500; i++, changes++)
            {
                var prefix = new Flow.Stages.Routing.Ipv4Prefix(new Flow.Protocols.Ipv4.Ipv4Address(10, (byte)(i >> 8), (byte)i, 0), 24);
                if (changes % 1000 < 500)
                {
                    hosts.Routes.Add(prefix, Flow.Stages.Routing.Ipv4Route.Via(gateway, 1));
                }
                else
                {
                    hosts.Routes.Delete(prefix);
                }
            }
            await Task.Delay(150);
        }
        ShellResult run = await client;
        Assert.True(run.ExitCode == 0, run.Output);
        using var json = System.Text.Json.JsonDocument.Parse(run.StandardOutput);
        System.Text.Json.JsonElement sum = json.RootElement.GetProperty("end").GetProperty("sum");
        long packets = sum.GetProperty("packets").GetInt64();
        long lost = sum.GetProperty("lost_packets").GetInt64();
        Assert.True(packets > 1000, $"iperf3 sent only {packets} datagrams");
        Assert.True(lost == 0, $"{lost} of {packets} datagrams lost while {changes} routes changed");
        await hosts.StopAsync();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task EcmpSpreadsSixtyFourFlowsOverTwoLinksEachFlowOnOneAndAMoreSpecificRouteWins(string backend)
    {
        const string Ecmp = """
            [{ "prefix": "198.51.100.0/24", "via": "192.168.100.1" }, { "prefix": "198.51.100.0/24", "via": "192.168.200.1" },
             { "prefix": "198.51.100.128/25", "via": "192.168.200.1" }]
            """;
        using var hosts = new RoutedHosts(backend, new Dictionary<string, string> { ["routes"] = Ecmp }, withDmz: true);
        NetnsFixture dmz = hosts.Dmz!;
        foreach (NetnsFixture ns in new[] { hosts.Wan, dmz })
        {
            ns.Exec("ip", "addr", "add", "198.51.100.200/32", "dev", "lo");
        }
        // Both next hops resolved first, so no datagram waits in a hold queue.
        foreach (string gateway in new[] { RoutedHosts.WanHost, "192.168.200.1" })
        {
            ControlReply resolved = await hosts.ControlAsync("ping", Arguments(("address", gateway), ("count", "1"), ("timeout", "3000")));
            Assert.True(resolved.Rows[0][2] == "reply", Describe(resolved));
        }

        System.Diagnostics.Process atWan = StartReceiver(hosts.Wan);
        System.Diagnostics.Process atDmz = StartReceiver(dmz);
        // 64 flows to 198.51.100.1 (the ECMP /24), 3 datagrams each; 16 to 198.51.100.200 (the /25).
        hosts.Lan.Exec(Shell.Python, "-c", """
            import socket, time
            for dst, first, count in (('198.51.100.1', 40000, 64), ('198.51.100.200', 41000, 16)):
                for port in range(first, first + count):
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.bind(('192.168.1.10', port))
                    for i in range(3):
                        s.sendto(b'flow %d datagram %d' % (port, i), (dst, 9))
                    s.close()
                    time.sleep(0.002)
            """);
        Dictionary<(string Destination, int Port), int> wan = Received(atWan);
        Dictionary<(string Destination, int Port), int> onDmz = Received(atDmz);

        var ecmpWan = wan.Keys.Where(k => k.Destination == RoutedHosts.Beyond).Select(k => k.Port).ToHashSet();
        var ecmpDmz = onDmz.Keys.Where(k => k.Destination == RoutedHosts.Beyond).Select(k => k.Port).ToHashSet();
        Assert.Equal(Enumerable.Range(40000, 64), ecmpWan.Union(ecmpDmz).Order());
        Assert.Empty(ecmpWan.Intersect(ecmpDmz));
        Assert.True(ecmpWan.Count >= 8 && ecmpDmz.Count >= 8, $"64 flows split {ecmpWan.Count} (wan) / {ecmpDmz.Count} (dmz)");
        Assert.All(wan.Concat(onDmz), flow => Assert.Equal(3, flow.Value));
        Assert.Equal(Enumerable.Range(41000, 16), onDmz.Keys.Where(k => k.Destination == "198.51.100.200").Select(k => k.Port).Order());
        Assert.DoesNotContain(wan.Keys, k => k.Destination == "198.51.100.200");
        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        if (backend.EndsWith(":2", StringComparison.Ordinal))
        {
            // The 80 flows were routed by both shards (the fanout hash spreads them), each datagram once.
            (long first, long second) = (stats.Stage("ipv4_lookup@0").In, stats.Stage("ipv4_lookup@1").In);
            Assert.True(first >= 10 && second >= 10, $"the flows split {first} / {second} between the shards' routing");
            // Shard 1's arp_resolve read both resolved next hops from the one neighbour table and
            // sent its flows out of its own queues; nothing needed the owner on shard 0.
            StageStats reader = stats.Stage("arp_resolve@1");
            Assert.True(reader.OutOn("wan") + reader.OutOn("dmz") >= 10 && reader.OutOn(IShardedStage.WriterPort) == 0,
                $"arp_resolve@1: {reader.OutOn("wan")} to wan, {reader.OutOn("dmz")} to dmz, {reader.OutOn(IShardedStage.WriterPort)} handed to shard 0");
        }
    }

    /// <summary>
    /// A flood of datagrams from the lan host to a dead address on the wan subnet: the router
    /// asks for it at most once a second (RFC 1122 2.3.2.1), as the wan host's capture shows,
    /// holds at most 256 packets for it and counts every other one.
    /// </summary>
    [Theory]
    [MemberData(nameof(Backends))]
    public async Task AFloodToADeadNeighbourSendsAtMostOneArpRequestPerSecond(string backend)
    {
        using var hosts = new RoutedHosts(backend);
        Shell.RequireRootAnd("tshark", Shell.Python);
        System.Diagnostics.Process capture = hosts.Wan.Begin("tshark", "-i", hosts.WanDevice, "-n", "-l", "-f", "arp", "-a", "duration:8",
            "-T", "fields", "-e", "frame.time_relative", "-e", "arp.opcode", "-e", "arp.dst.proto_ipv4");
        await Task.Delay(TimeSpan.FromSeconds(2)); // tshark opens its socket
        // About 4 s of datagrams, as fast as Python sends them (at most 400 000).
        ShellResult flood = hosts.Lan.TryExec(TimeSpan.FromSeconds(30), Shell.Python, "-c", """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            end, sent = time.time() + 4, 0
            while time.time() < end and sent < 400000:
                for i in range(100):
                    s.sendto(b'to nobody', ('192.168.100.77', 9))
                sent += 100
            print(sent)
            """);
        Assert.True(flood.ExitCode == 0, flood.Output);
        long sent = long.Parse(flood.StandardOutput.Trim(), CultureInfo.InvariantCulture);
        Assert.True(capture.WaitForExit(TimeSpan.FromSeconds(20)), "tshark did not stop");
        double[] requests = capture.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t')).Where(f => f.Length == 3 && f[1] == "1" && f[2] == "192.168.100.77")
            .Select(f => double.Parse(f[0], CultureInfo.InvariantCulture)).ToArray();

        Assert.True(requests.Length >= 3, $"{requests.Length} ARP requests for the dead address in 4 s of flood ({sent} datagrams sent)");
        double[] gaps = requests.Zip(requests.Skip(1), (a, b) => b - a).ToArray();
        Assert.True(gaps.All(g => g >= 0.9), $"ARP requests closer than a second ({backend}): {string.Join(", ", requests)}");
        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        StageStats resolve = stats.Summed("arp_resolve");
        Assert.True(resolve.DroppedFor("hold_full") > 0, $"a flood of {sent} datagrams overflowed no hold queue: {resolve}");
        // Only held packets come back as host unreachable, and at most 256 are held.
        Assert.True(resolve.OutOn("unreachable") <= 256, $"{resolve.OutOn("unreachable")} packets released as unreachable");
    }

    /// <summary>
    /// Malformed and martian packets sent by scapy from the lan host: each dropped by ipv4_input
    /// with its own reason, none reaching the wan host, and no ICMP error about any of them
    /// (RFC 1812 4.3.2.7 and 5.3.7): tshark on both hosts sees nothing.
    /// </summary>
    [Theory]
    [MemberData(nameof(Backends))]
    public async Task MalformedAndMartianPacketsAreDroppedWithTheirReasonsAndNoIcmp(string backend)
    {
        using var hosts = new RoutedHosts(backend);
        Shell.RequireRootAnd("tshark", Shell.Python);
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.Beyond, count: 1), "no path before the test");
        ControlReply mac = await hosts.ControlAsync("addr show", new Dictionary<string, string>());
        string routerMac = mac.Rows.First(r => r[0] == "lan")[3];
        Assert.Equal("02:00:00:00:01:01", routerMac);

        System.Diagnostics.Process lanCapture = hosts.Lan.Begin("tshark", "-i", hosts.LanDevice, "-n", "-l", "-f", "icmp", "-a", "duration:6", "-T", "fields", "-e", "icmp.type");
        System.Diagnostics.Process wanCapture = hosts.Wan.Begin("tshark", "-i", hosts.WanDevice, "-n", "-l", "-f", "udp port 9", "-a", "duration:6", "-T", "fields", "-e", "ip.src");
        await Task.Delay(TimeSpan.FromSeconds(2)); // tshark opens its socket
        hosts.Lan.Exec(Shell.Python, "-c", $$"""
            from scapy.all import *
            conf.verb = 0
            e = Ether(dst='{{routerMac}}')
            u = UDP(sport=1234, dport=9)/Raw(b'martian')
            frames = [
                e/IP(src='127.0.0.1', dst='198.51.100.1')/u,                       # martian source: loopback
                e/IP(src='224.0.0.5', dst='198.51.100.1')/u,                       # martian source: multicast
                e/IP(src='192.168.1.10', dst='127.0.0.9')/u,                       # martian destination: loopback
                e/IP(src='192.168.1.10', dst='0.1.2.3')/u,                         # martian destination: 0/8
                e/IP(src='192.168.1.10', dst='198.51.100.1', chksum=0x1234)/u,     # bad checksum
                e/IP(version=6, src='192.168.1.10', dst='198.51.100.1')/u,         # version 6 in an IPv4 frame
                e/IP(ihl=4, src='192.168.1.10', dst='198.51.100.1')/u,             # IHL below 5
                e/IP(src='192.168.1.10', dst='198.51.100.1', len=10)/u,            # Total Length below the header
            ]
            sendp(frames, iface='{{hosts.LanDevice}}')
            """);
        Assert.True(lanCapture.WaitForExit(TimeSpan.FromSeconds(20)) && wanCapture.WaitForExit(TimeSpan.FromSeconds(20)), "tshark did not stop");
        Assert.Equal("", lanCapture.StandardOutput.ReadToEnd().Trim());
        Assert.Equal("", wanCapture.StandardOutput.ReadToEnd().Trim());

        GraphStats stats = await hosts.StopAsync();
        StageStats input = stats.Summed("ipv4_input");
        Assert.Equal((2L, 2L, 1L, 1L, 1L, 1L), (input.DroppedFor("martian_source"), input.DroppedFor("martian_destination"), input.DroppedFor("bad_checksum"),
            input.DroppedFor("bad_version"), input.DroppedFor("bad_header_length"), input.DroppedFor("bad_total_length")));
        Assert.Equal(0, stats.Summed("icmp_error").OutOn("error"));
    }

    /// <summary>A UDP receiver on port 9 of every address of <paramref name="ns"/>: one line per datagram (destination, source port) once 2 s pass without one.</summary>
    private static System.Diagnostics.Process StartReceiver(NetnsFixture ns)
    {
        System.Diagnostics.Process receiver = ns.Begin(Shell.Python, "-u", "-c", """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IP, 8, 1)   # IP_PKTINFO: which address it was sent to
            s.bind(('0.0.0.0', 9))
            print('ready', flush=True)
            s.settimeout(2.0)
            end = time.time() + 20
            seen = []
            while time.time() < end:
                try:
                    data, ancillary, flags, source = s.recvmsg(2048, 64)
                except socket.timeout:
                    if seen: break
                    continue
                info = [a for a in ancillary if a[0] == socket.IPPROTO_IP and a[1] == 8][0][2]
                seen.append((socket.inet_ntoa(info[8:12]), source[1]))
            for destination, port in seen:
                print(destination, port)
            """);
        Assert.Equal("ready", receiver.StandardOutput.ReadLine());
        return receiver;
    }

    private static Dictionary<(string Destination, int Port), int> Received(System.Diagnostics.Process receiver)
    {
        Assert.True(receiver.WaitForExit(TimeSpan.FromSeconds(30)), "a receiver did not finish");
        var counts = new Dictionary<(string, int), int>();
        foreach (string line in receiver.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] words = line.Split(' ');
            var key = (words[0], int.Parse(words[1], CultureInfo.InvariantCulture));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }

    private static string[] Traceroute(RoutedHosts hosts, string mode)
    {
        ShellResult result = hosts.Lan.TryExec(TimeSpan.FromSeconds(40), "traceroute", mode, "-n", "-q", "1", "-w", "2", "-m", "4", RoutedHosts.Beyond);
        // " 1  192.168.1.1  0.321 ms" per hop; "*" for a hop that did not answer.
        return result.Output.Split('\n').Skip(1).Select(line => line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length >= 2 && int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(words => words[1]).ToArray();
    }

    private static Dictionary<string, string> Arguments(params (string Name, string Value)[] arguments) =>
        arguments.ToDictionary(a => a.Name, a => a.Value);

    private static string Describe(ControlReply reply) =>
        reply.Message + "\n" + string.Join("\n", reply.Rows.Select(r => string.Join(" ", r)));
}
