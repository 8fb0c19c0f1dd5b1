using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// router.json's forwarding hook filled with samples/ForwardHook's <c>port_policy</c>, loaded
/// from its assembly through the <c>hook_assemblies</c> parameter: what the hosts' sockets see
/// is the oracle (a TCP connect that fails or succeeds, the TOS a UDP receiver reads).
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class ForwardHookTests
{
    private const string Policy = """
        { "block": [{ "protocol": "tcp", "port": 23 }], "mark": [{ "protocol": "udp", "port": 5060, "dscp": 46 }] }
        """;

    /// <summary>samples/ForwardHook's assembly, built beside these tests (same configuration).</summary>
    private static string SampleAssembly
    {
        get
        {
            string framework = Path.GetFileName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;
            string root = Path.GetDirectoryName(Path.GetDirectoryName(PipelineFiles.PathOf("router.json")))!;
            string path = Path.Combine(root, "samples", "ForwardHook", "bin", configuration, framework, "ForwardHook.dll");
            return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build samples/ForwardHook");
        }
    }

    [Fact]
    public async Task AUserStageInTheHookBlocksATcpPortAndMarksDscpWhileOtherTrafficPassesUntouched()
    {
        Shell.RequireRootAnd("socat", Shell.Python);
        using var hosts = new RoutedHosts("af_packet", new Dictionary<string, string>
        {
            ["hook_assemblies"] = $"[\"{SampleAssembly}\"]",
            ["forward_hook.type"] = "port_policy",
            ["forward_hook.config"] = Policy,
        });
        hosts.Wan.Begin("socat", "TCP-LISTEN:23,fork,reuseaddr", "SYSTEM:true");
        hosts.Wan.Begin("socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:true");
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.WanHost), "pings did not cross the router with the hook in place");

        ShellResult web = hosts.Lan.TryExec(TimeSpan.FromSeconds(15), "socat", "-T", "2", "/dev/null", $"TCP:{RoutedHosts.WanHost}:80,connect-timeout=5");
        Assert.True(web.ExitCode == 0, $"TCP to port 80 should pass the hook: {web.Output}");
        ShellResult telnet = hosts.Lan.TryExec(TimeSpan.FromSeconds(15), "socat", "-T", "2", "/dev/null", $"TCP:{RoutedHosts.WanHost}:23,connect-timeout=3");
        Assert.True(telnet.ExitCode != 0, "TCP to port 23 connected through a hook that blocks it");

        // The wan host reads each datagram's TOS from IP_RECVTOS: 46 << 2 = 184 on 5060, 0 on 5061.
        string receiver = """
            import socket, sys
            IP_RECVTOS = 13
            seen = {}
            socks = []
            for port in (5060, 5061):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setsockopt(socket.SOL_IP, IP_RECVTOS, 1)
                s.bind(('0.0.0.0', port))
                s.settimeout(20)
                socks.append((port, s))
            print('ready', flush=True)
            for port, s in socks:
                data, anc, flags, addr = s.recvmsg(2048, 64)
                seen[port] = [c[2][0] for c in anc if c[0] == socket.SOL_IP and c[1] == 1][0]
            print(seen[5060], seen[5061], flush=True)
            """;
        using System.Diagnostics.Process wan = hosts.Wan.Begin(Shell.Python, "-c", receiver);
        Assert.Equal("ready", await wan.StandardOutput.ReadLineAsync());
        foreach (int port in new[] { 5060, 5061 })
        {
            hosts.Lan.Exec(Shell.Python, "-c",
                $"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); [s.sendto(b'hook', ('{RoutedHosts.WanHost}', {port})) for _ in range(3)]");
        }
        Assert.True(wan.WaitForExit(TimeSpan.FromSeconds(30)), "the wan host's receiver did not get both datagrams");
        Assert.Equal("184 0", (await wan.StandardOutput.ReadToEndAsync()).Trim());

        GraphStats stats = await hosts.StopAsync();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        StageStats hook = stats.Stage("forward_hook");
        Assert.True(hook.DroppedFor("blocked") >= 1, string.Join("\n", stats.Stages));
        Assert.Equal(stats.Stage("ipv4_forward").OutOn("forwarded"), hook.In);
    }

    [Fact]
    public async Task TheDefaultHookCountsEveryForwardedPacketAndDropsNone()
    {
        using var hosts = new RoutedHosts("af_packet");
        Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.Beyond, count: 5), "pings did not cross the router");
        GraphStats stats = await hosts.StopAsync();
        StageStats hook = stats.Stage("forward_hook");
        Assert.Equal("counter", hook.Type);
        Assert.True(hook.In >= 10, string.Join("\n", stats.Stages));
        Assert.Equal((hook.In, 0L), (hook.OutTotal, hook.DroppedTotal));
    }
}
