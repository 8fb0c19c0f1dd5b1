using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// router.json with its NAT on, between Linux hosts (research 1.2 E): what the hosts' sockets see
/// is the oracle — the address and port a server on the wan side reads as its peer (socat's
/// SOCAT_PEERADDR/PEERPORT), a connect through a port mapping, a hairpinned one, a refused UDP
/// send. The wan host has no route to the lan network, so only translated packets can work;
/// the router's namespace has no kernel NAT (the router is Flow, in user space).
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class NatNetnsTests
{
    private const string Mappings = """[{ "protocol": "tcp", "external_port": 8080, "internal": "192.168.1.10:8000" }]""";

    private static RoutedHosts Start(string backend)
    {
        Shell.RequireRootAnd("socat", Shell.Python);
        var hosts = new RoutedHosts(backend, new Dictionary<string, string> { ["nat.enabled"] = "true", ["nat.port_mappings"] = Mappings });
        hosts.Wan.Exec("ip", "route", "del", "192.168.1.0/24");
        return hosts;
    }

    internal static string Ask(NetnsFixture from, string target)
    {
        ShellResult result = Send(from, target);
        Assert.True(result.ExitCode == 0, $"socat {target}: {result.Output}");
        return result.Output.Trim();
    }

    /// <summary>
    /// What <paramref name="target"/> answers. UDP: one line sent, the reply read (10 s of silence
    /// ends it). TCP: nothing sent, the server's line read to its close — a line the server never
    /// read would make its close a RST, which can overtake its answer.
    /// </summary>
    internal static ShellResult Send(NetnsFixture from, string target) =>
        target.StartsWith("TCP", StringComparison.Ordinal)
            ? from.TryExec(TimeSpan.FromSeconds(15), "socat", "-T", "10", "-u", target, "STDOUT")
            : from.TryExec(TimeSpan.FromSeconds(15), "sh", "-c", $"echo hello | socat -t 5 -T 10 - '{target}'");

    [Theory]
    [InlineData("af_packet")]
    [InlineData("af_xdp")]
    [InlineData("af_packet:2")] // two shards: the NAT runs once, on shard 0, fed by both
    public async Task LanHostsReachTheWanFromTheRoutersAddressWithTheirPortsKeptAndAPortMappingReachesIn(string backend)
    {
        using RoutedHosts hosts = Start(backend);
        hosts.Wan.Begin("socat", "UDP-RECVFROM:7000,fork", "SYSTEM:echo $SOCAT_PEERADDR $SOCAT_PEERPORT");
        hosts.Wan.Begin("socat", "TCP-LISTEN:7001,fork,reuseaddr", "SYSTEM:echo $SOCAT_PEERADDR $SOCAT_PEERPORT");
        hosts.Lan.Begin("socat", "TCP-LISTEN:8000,fork,reuseaddr", "SYSTEM:echo inside-$SOCAT_PEERADDR");
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.WanHost), "pings from the lan host did not come back through the NAT");

        await Waits.Until(() => Send(hosts.Lan, $"UDP:{RoutedHosts.WanHost}:7000,sourceport=41000").Output.Contains(RoutedHosts.WanRouter, StringComparison.Ordinal),
            "the wan host's UDP server answering", TimeSpan.FromSeconds(15));
        Assert.Equal($"{RoutedHosts.WanRouter} 41000", Ask(hosts.Lan, $"UDP:{RoutedHosts.WanHost}:7000,sourceport=41000"));
        Assert.Equal($"{RoutedHosts.WanRouter} 41001", Ask(hosts.Lan, $"TCP:{RoutedHosts.WanHost}:7001,sourceport=41001,connect-timeout=5"));
        Assert.Equal($"inside-{RoutedHosts.WanHost}", Ask(hosts.Wan, $"TCP:{RoutedHosts.WanRouter}:8080,connect-timeout=5"));
        // Hairpinning: the lan host reaches its own mapped service at the external address and is
        // seen there from the external address, as any remote would be.
        Assert.Equal($"inside-{RoutedHosts.WanRouter}", Ask(hosts.Lan, $"TCP:{RoutedHosts.WanRouter}:8080,connect-timeout=5"));

        ControlReply sessions = await hosts.ControlAsync("nat sessions", new Dictionary<string, string>());
        Assert.Contains(sessions.Rows, r => r[0] == "udp" && r[1] == $"{RoutedHosts.LanHost}:41000" && r[2] == $"{RoutedHosts.WanRouter}:41000");
        Assert.Contains(sessions.Rows, r => r[0] == "tcp" && r[1] == $"{RoutedHosts.LanHost}:8000" && r[2] == $"{RoutedHosts.WanRouter}:8080");
        ControlReply show = await hosts.ControlAsync("nat show", new Dictionary<string, string>());
        Assert.True(long.Parse(show.Rows.Single(r => r[0] == "hairpinned")[1], System.Globalization.CultureInfo.InvariantCulture) >= 2);

        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
    }

    [Fact]
    public async Task AnIcmpErrorFromTheWanReachesTheLanSocketAndMappingsChangeLive()
    {
        using RoutedHosts hosts = Start("af_packet");
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.WanHost), "pings did not cross the NAT");
        // A connected UDP socket learns of the wan host's port unreachable only if the error's
        // outer and quoted headers were translated back to it.
        string probe = $"""
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(('0.0.0.0', 42000)); s.connect(('{RoutedHosts.WanHost}', 9)); s.settimeout(5)
            s.send(b'anyone?')
            try:
                s.recv(16); print('data')
            except ConnectionRefusedError:
                print('refused')
            except socket.timeout:
                print('timeout')
            """;
        Assert.Equal("refused", hosts.Lan.Exec(Shell.Python, "-c", probe).Trim());

        hosts.Lan.Begin("socat", "UDP-RECVFROM:5353,fork", "SYSTEM:echo mapped");
        await hosts.ControlAsync("nat mappings add", new Dictionary<string, string> { ["protocol"] = "udp", ["external_port"] = "5353", ["internal"] = "192.168.1.10:5353" });
        await Waits.Until(() => Send(hosts.Wan, $"UDP:{RoutedHosts.WanRouter}:5353").Output.Contains("mapped", StringComparison.Ordinal),
            "the added port mapping to answer", TimeSpan.FromSeconds(15));
        ControlReply mappings = await hosts.ControlAsync("nat mappings show", new Dictionary<string, string>());
        Assert.Contains(mappings.Rows, r => r[0] == "udp" && r[1] == $"{RoutedHosts.WanRouter}:5353" && r[4] == "static");
        await hosts.ControlAsync("nat mappings del", new Dictionary<string, string> { ["protocol"] = "udp", ["external_port"] = "5353" });
        ShellResult after = Send(hosts.Wan, $"UDP:{RoutedHosts.WanRouter}:5353");
        Assert.DoesNotContain("mapped", after.Output, StringComparison.Ordinal);
        await hosts.StopAsync();
    }

    [Fact]
    public async Task TracerouteIperf3AndAFileCrossTheNatIntact()
    {
        Shell.RequireRootAnd("traceroute", "iperf3", "sha256sum");
        using RoutedHosts hosts = Start("af_packet");
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.Beyond), "pings did not cross the NAT");
        // UDP probes: the far end's port unreachable comes back only if the NAT translated the
        // error and its quoted datagram; ICMP probes: echo replies by identifier.
        foreach (string mode in new[] { "-U", "-I" })
        {
            ShellResult trace = hosts.Lan.TryExec(TimeSpan.FromSeconds(40), "traceroute", mode, "-n", "-q", "1", "-w", "2", "-m", "4", RoutedHosts.Beyond);
            string[] hops = trace.Output.Split('\n').Skip(1).Select(line => line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(words => words.Length >= 2 && char.IsDigit(words[0][0])).Select(words => words[1]).ToArray();
            Assert.True(hops.Length == 2 && hops[0] == RoutedHosts.LanRouter && hops[1] == RoutedHosts.Beyond, $"traceroute {mode} through the NAT: {trace.Output}");
        }

        hosts.Wan.Begin("iperf3", "-s", "-B", RoutedHosts.Beyond);
        await Waits.Until(() => hosts.Wan.TryExec(TimeSpan.FromSeconds(5), "ss", "-ltn").Output.Contains(":5201", StringComparison.Ordinal),
            "iperf3 server listening", TimeSpan.FromSeconds(15));
        foreach (string[] mode in new[] { new[] { "-u", "-b", "20M", "-l", "1000" }, new[] { "-R" } })
        {
            ShellResult run = hosts.Lan.TryExec(TimeSpan.FromSeconds(30), ["iperf3", "-c", RoutedHosts.Beyond, "-t", "2", "--json", .. mode]);
            Assert.True(run.ExitCode == 0, $"iperf3 {string.Join(' ', mode)}: {run.Output}");
            using var json = System.Text.Json.JsonDocument.Parse(run.StandardOutput);
            System.Text.Json.JsonElement end = json.RootElement.GetProperty("end");
            double bits = mode[0] == "-u" ? end.GetProperty("sum").GetProperty("bits_per_second").GetDouble() : end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
            Assert.True(bits > 1e6, $"iperf3 {string.Join(' ', mode)} moved {bits:F0} bit/s through the NAT");
        }

        // 4 MB of random bytes from the wan host to the lan host over TCP: the same bytes arrive.
        string directory = Directory.CreateTempSubdirectory("flow-nat-").FullName;
        try
        {
            string source = Path.Combine(directory, "source.bin");
            string copy = Path.Combine(directory, "copy.bin");
            File.WriteAllBytes(source, System.Security.Cryptography.RandomNumberGenerator.GetBytes(4 << 20));
            hosts.Wan.Begin("socat", "-u", $"OPEN:{source}", "TCP-LISTEN:7100,reuseaddr");
            await Waits.Until(() => hosts.Wan.TryExec(TimeSpan.FromSeconds(5), "ss", "-ltn").Output.Contains(":7100", StringComparison.Ordinal),
                "the file server listening", TimeSpan.FromSeconds(15));
            ShellResult fetch = hosts.Lan.TryExec(TimeSpan.FromSeconds(60), "socat", "-u", $"TCP:{RoutedHosts.WanHost}:7100,connect-timeout=5", $"CREATE:{copy}");
            Assert.True(fetch.ExitCode == 0, fetch.Output);
            Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(source))),
                Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(copy))));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(0, stats.Stage("nat_out").DroppedTotal);
    }

    /// <summary>
    /// A 3000-byte UDP datagram from 192.168.1.10:43000 to the router's address at a port mapping
    /// whose service is the same host's second address (192.168.1.11:6100): the lan host's kernel
    /// sends it as three fragments, the router hairpins every one, and the service reads the same
    /// bytes from the router's address and the sender's kept port.
    /// </summary>
    [Fact]
    public async Task AUdpDatagramBiggerThanTheMtuIsHairpinnedWholeToAPortMapping()
    {
        Shell.RequireRootAnd(Shell.Python);
        using var hosts = new RoutedHosts("af_packet", new Dictionary<string, string>
        {
            ["nat.enabled"] = "true",
            ["nat.port_mappings"] = """[{ "protocol": "udp", "external_port": 6100, "internal": "192.168.1.11:6100" }]""",
        });
        hosts.Wan.Exec("ip", "route", "del", "192.168.1.0/24");
        hosts.Lan.Exec("ip", "addr", "add", "192.168.1.11/24", "dev", hosts.LanDevice);
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.WanRouter), "the lan host did not reach the router's wan address");

        byte[] datagram = System.Security.Cryptography.RandomNumberGenerator.GetBytes(3000);
        string exchange = $"""
            import socket
            service = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            service.bind(('192.168.1.11', 6100)); service.settimeout(10)
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sender.bind(('{RoutedHosts.LanHost}', 43000))
            sender.sendto(bytes.fromhex('{Convert.ToHexString(datagram)}'), ('{RoutedHosts.WanRouter}', 6100))
            data, peer = service.recvfrom(65535)
            print(peer[0], peer[1], data.hex())
            """;
        ShellResult received = hosts.Lan.TryExec(TimeSpan.FromSeconds(20), Shell.Python, "-c", exchange);
        Assert.True(received.ExitCode == 0, $"the hairpinned datagram did not arrive: {received.Output}");
        string[] words = received.StandardOutput.Trim().Split(' ');
        Assert.Equal((RoutedHosts.WanRouter, "43000"), (words[0], words[1]));
        Assert.Equal(Convert.ToHexString(datagram), words[2], ignoreCase: true);

        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(0, stats.Stage("nat_in").DroppedTotal);
    }

    /// <summary>
    /// A second LAN address (192.168.1.11) has wan's second address (192.168.100.3) 1:1. From the
    /// first LAN address, UDP and ping to 192.168.100.3 are hairpinned: the mapped host sees the
    /// sender at the router's pool address, and the answers come back from 192.168.100.3.
    /// </summary>
    [Fact]
    public async Task UdpAndPingToAOneToOneAddressAreHairpinnedBothWays()
    {
        Shell.RequireRootAnd("socat", "ping");
        const string Interfaces = """
            [{ "name": "lan", "id": 0, "mac": "02:00:00:00:01:01", "addresses": ["192.168.1.1/24"], "mtu": 1500 },
             { "name": "wan", "id": 1, "mac": "02:00:00:00:02:01", "addresses": ["192.168.100.2/24", "192.168.100.3/24"], "mtu": 1500 }]
            """;
        using var hosts = new RoutedHosts("af_packet", new Dictionary<string, string>
        {
            ["interfaces"] = Interfaces,
            ["nat.enabled"] = "true",
            ["nat.addresses"] = """["192.168.100.2"]""",
            ["nat.address_mappings"] = """[{ "external": "192.168.100.3", "internal": "192.168.1.11" }]""",
        });
        hosts.Lan.Exec("ip", "addr", "add", "192.168.1.11/24", "dev", hosts.LanDevice);
        hosts.Lan.Begin("socat", "UDP-RECVFROM:6000,bind=192.168.1.11,fork", "SYSTEM:echo $SOCAT_PEERADDR $SOCAT_PEERPORT");
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.WanHost), "the lan host did not reach the wan host through the NAT");

        string target = "UDP:192.168.100.3:6000,bind=192.168.1.10,sourceport=42000";
        await Waits.Until(() => Send(hosts.Lan, target).Output.Contains("192.168.100.2", StringComparison.Ordinal),
            "the 1:1-mapped host's UDP server answering through the hairpin", TimeSpan.FromSeconds(15));
        // The mapped host saw the sender at the pool address and its port kept; the reply came back (from 192.168.100.3: socat's connected socket takes nothing else).
        Assert.Equal("192.168.100.2 42000", Ask(hosts.Lan, target));

        ShellResult ping = hosts.Lan.TryExec(TimeSpan.FromSeconds(15), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "3", "-I", "192.168.1.10", "192.168.100.3");
        Assert.True(ping.ExitCode == 0, ping.Output);
        Assert.Contains("from 192.168.100.3", ping.Output);

        ControlReply show = await hosts.ControlAsync("nat show", new Dictionary<string, string>());
        Assert.True(long.Parse(show.Rows.Single(r => r[0] == "hairpinned")[1], System.Globalization.CultureInfo.InvariantCulture) >= 8);
        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
    }
}
