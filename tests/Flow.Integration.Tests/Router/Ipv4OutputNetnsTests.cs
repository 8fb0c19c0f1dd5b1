using System.Diagnostics;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// <c>ipv4_output</c> against real Linux hosts (topology in <see cref="Ipv4OutputHosts"/>): Linux
/// reassembles the fragments Flow makes, and Linux's own UDP stack reads the fragmentation-needed
/// errors Flow sends and lowers its path MTU. One feature per test, bounded waits, cleanup on
/// failure.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class Ipv4OutputNetnsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A4000ByteDatagramFragmentedByFlowIsReassembledByTheWanHostIntact()
    {
        using var hosts = new Ipv4OutputHosts();
        string path = Path.Combine(Path.GetTempPath(), $"flow-ipv4-output-{Guid.NewGuid():N}.bin");
        try
        {
            Process receiver = hosts.Wan.Begin("socat", "-u", "UDP4-RECVFROM:5000", $"CREATE:{path}");
            await WaitForUdpListenerAsync(hosts.Wan, 5000);
            // 4000 bytes of IP: 20 + 8 + 3972, no DF, a UDP checksum over the whole datagram that
            // the receiver verifies after reassembly.
            byte[] frame = Convert.FromHexString(Shell.Run(Shell.Python, "-c",
                "from scapy.all import *\n" +
                $"p=Ether(src='{hosts.LanVeth.PeerMac}', dst='{Ipv4OutputHosts.LanMac}')/IP(src='{Ipv4OutputHosts.LanHost}', dst='{Ipv4OutputHosts.WanHost}', id=777, flags=0)" +
                "/UDP(sport=40000, dport=5000)/Raw(bytes((i * 13 + 7) % 256 for i in range(3972)))\n" +
                "print(bytes(p).hex())\n").Trim());
            Assert.Equal(14 + 4000, frame.Length);
            long reassembledBefore = Snmp(hosts.Wan, "ReasmOKs");
            hosts.Source.Send(frame);

            Assert.True(receiver.WaitForExit(Limit), $"socat on the wan host received no datagram (Linux did not reassemble Flow's fragments); the graph:\n{string.Join("\n", (await hosts.StopAsync()).Stages)}");
            byte[] received = await File.ReadAllBytesAsync(path);
            Assert.Equal(frame[(14 + 28)..], received);
            Assert.Equal(1, Snmp(hosts.Wan, "ReasmOKs") - reassembledBefore);
            GraphStats stats = await hosts.StopAsync();
            Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
            Assert.Equal((1L, 3L), (hosts.Output.Fragmented, hosts.Output.FragmentsMade));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ADfDatagramTooBigForTheWanGetsFragmentationNeededWithMtu1500AndLinuxLowersItsPathMtu()
    {
        using var hosts = new Ipv4OutputHosts();
        // A connected UDP socket with PMTUDISC_DO: Linux sends 1628 bytes with DF (its link says
        // 1800), then, when it accepts the error, records 1500 for the path, which IP_MTU reads back.
        // A raw ICMP socket opened before the send keeps a copy of the error as the host received
        // it (a live tshark could miss it while it attached its filter).
        string script = $"""
            import socket, time
            icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            icmp.settimeout(20)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_IP, 10, 2)          # IP_MTU_DISCOVER = IP_PMTUDISC_DO
            s.connect(('{Ipv4OutputHosts.WanHost}', 5000))
            s.send(b'x' * 1600)
            mtu = s.getsockopt(socket.SOL_IP, 14)       # IP_MTU
            deadline = time.time() + 20
            while mtu != 1500 and time.time() < deadline:
                time.sleep(0.1)
                mtu = s.getsockopt(socket.SOL_IP, 14)
            try:
                s.send(b'x' * 1600)
                print(mtu, 'sent')
            except OSError as e:
                print(mtu, e.errno)
            p = icmp.recv(2048)
            outer = (p[0] & 15) * 4
            inner = outer + 8 + (p[outer + 8] & 15) * 4
            print(socket.inet_ntoa(p[12:16]), socket.inet_ntoa(p[16:20]), p[outer], p[outer + 1],
                  int.from_bytes(p[outer + 6:outer + 8], 'big'), int.from_bytes(p[inner + 2:inner + 4], 'big'))
            """;
        ShellResult sent = hosts.Lan.TryExec(Limit, Shell.Python, "-c", script);
        Assert.True(sent.ExitCode == 0, sent.StandardError);
        string[] lines = sent.StandardOutput.Trim().Split('\n');
        // errno 90: EMSGSIZE, the datagram no longer fits the path MTU Linux learned from Flow.
        Assert.Equal("1500 90", lines[0].Trim());
        // From the router's lan address: type 3 code 4, next-hop MTU 1500, quoting the datagram to port 5000.
        Assert.Equal($"10.77.1.1 {Ipv4OutputHosts.LanHost} 3 4 1500 5000", lines[1].Trim());
        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        Assert.Equal(1, hosts.Output.FragmentationNeeded);
        Assert.Equal(0, hosts.Output.Fragmented);
    }

    [Fact]
    public async Task ADatagramWithoutDfFromTheLanHostReachesTheWanHostWholeThroughFlowsFragments()
    {
        using var hosts = new Ipv4OutputHosts();
        string path = Path.Combine(Path.GetTempPath(), $"flow-ipv4-output-{Guid.NewGuid():N}.bin");
        try
        {
            Process receiver = hosts.Wan.Begin("socat", "-u", "UDP4-RECVFROM:5000", $"CREATE:{path}");
            await WaitForUdpListenerAsync(hosts.Wan, 5000);
            // PMTUDISC_DONT: Linux sends 1728 bytes with DF clear (its link allows 1800); Flow cuts them for the 1500 wan.
            string script = $"""
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setsockopt(socket.SOL_IP, 10, 0)      # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
                s.sendto(bytes((i * 31 + 5) % 256 for i in range(1700)), ('{Ipv4OutputHosts.WanHost}', 5000))
                """;
            ShellResult sent = hosts.Lan.TryExec(Limit, Shell.Python, "-c", script);
            Assert.True(sent.ExitCode == 0, sent.StandardError);

            Assert.True(receiver.WaitForExit(Limit), $"socat on the wan host received no datagram; the graph:\n{string.Join("\n", (await hosts.StopAsync()).Stages)}");
            byte[] received = await File.ReadAllBytesAsync(path);
            Assert.Equal(Enumerable.Range(0, 1700).Select(i => (byte)((i * 31 + 5) % 256)), received);
            GraphStats stats = await hosts.StopAsync();
            Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
            Assert.Equal((1L, 2L), (hosts.Output.Fragmented, hosts.Output.FragmentsMade));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Waits (bounded) until a UDP socket listens on <paramref name="port"/> in <paramref name="ns"/>.</summary>
    private static async Task WaitForUdpListenerAsync(NetnsFixture ns, int port)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Limit)
        {
            if (ns.TryExec(TimeSpan.FromSeconds(10), "ss", "-Hlun", $"sport = :{port}").StandardOutput.Contains($":{port}", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"nothing listened on UDP port {port} within {Limit}");
    }

    /// <summary>An Ip counter of <c>/proc/net/snmp</c> in <paramref name="ns"/> (ReasmOKs, ReasmReqds, …).</summary>
    private static long Snmp(NetnsFixture ns, string counter)
    {
        string[] lines = ns.Exec("cat", "/proc/net/snmp").Split('\n').Where(l => l.StartsWith("Ip:", StringComparison.Ordinal)).ToArray();
        string[] names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, counter)], System.Globalization.CultureInfo.InvariantCulture);
    }
}
