using System.Globalization;
using Flow.Stages.Arp;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// The router's ARP against a real Linux host in a private namespace (topology in
/// <see cref="ArpHost"/>): busybox arping, the host's neighbour table, a UDP socket, tshark.
/// One feature per test, bounded waits, cleanup on failure.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class ArpNetnsTests
{
    private static async Task WaitUntil(Func<Task<bool>> condition, string what, double seconds = 20)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    private static async Task StopAndCheckAsync(ArpHost host)
    {
        await host.StopAsync();
        GraphStats stats = host.Graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
    }

    [Fact]
    public async Task TheHostsArpingIsAnsweredAndTheHostLearnsTheRoutersMac()
    {
        using var host = new ArpHost();

        ShellResult arping = host.Namespace.TryExec(TimeSpan.FromSeconds(15), "busybox", "arping", "-c", "3", "-w", "5", "-I", host.Veth.PeerName, "10.0.0.1");

        Assert.True(arping.ExitCode == 0, $"arping failed: {arping.StandardOutput} {arping.StandardError}");
        Assert.Contains(host.RouterMac, arping.StandardOutput, StringComparison.OrdinalIgnoreCase);
        // The host's own table: ping makes the kernel resolve the router (no IP answers needed).
        host.Namespace.TryExec(TimeSpan.FromSeconds(5), "busybox", "ping", "-c", "1", "-W", "1", "10.0.0.1");
        string neighbours = host.Namespace.Exec("ip", "neigh", "show", "10.0.0.1", "dev", host.Veth.PeerName);
        Assert.Contains(host.RouterMac, neighbours, StringComparison.OrdinalIgnoreCase);
        // And the router learned the requester (a request addressed to it creates the neighbour).
        NeighbourEntry entry = Assert.Single(await host.NeighboursAsync());
        Assert.Equal((ArpHost.HostAddress, host.Veth.PeerMac, NeighbourState.Reachable),
            (entry.Address.ToString(), entry.Mac?.ToString(), entry.State));
        await StopAndCheckAsync(host);
    }

    [Fact]
    public async Task AnnouncesItsAddressByGratuitousArpAtStart()
    {
        System.Diagnostics.Process? tshark = null;
        using (var host = new ArpHost(beforeStart: h => tshark = h.BeginArpCapture(4)))
        {
            Assert.True(tshark!.WaitForExit(TimeSpan.FromSeconds(10)), "tshark did not end");
            string seen = await tshark.StandardOutput.ReadToEndAsync();
            Assert.True(seen.Contains($"{host.RouterMac} ff:ff:ff:ff:ff:ff 1 10.0.0.1 10.0.0.1", StringComparison.OrdinalIgnoreCase),
                $"captured: '{seen}'; {host.Graph.GetStats().Stage("arp")}; {host.Graph.GetStats().Stage("tx_lan")}");
            await StopAndCheckAsync(host);
        }
    }

    [Fact]
    public async Task APacketToAnUnresolvedHostIsHeldAndDeliveredOnceTheHostAnswers()
    {
        using var host = new ArpHost();
        Assert.Empty(await host.NeighboursAsync());
        System.Diagnostics.Process receiver = host.Namespace.Begin(Shell.Python, "-c", """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(('0.0.0.0', 5555))
            print('READY', flush=True)
            s.settimeout(10)
            print(s.recv(100).decode(), flush=True)
            """);
        Assert.Equal("READY", await receiver.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));

        host.Injector.Send(ArpHost.HostAddress, 5555, "held-then-sent");

        Assert.Equal("held-then-sent", await receiver.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(12)));
        ArpResolverCounters counters = await host.Graph.InvokeAsync<ArpResolver, ArpResolverCounters>("arp_resolve", s => s.GetCounters());
        Assert.Equal((1L, 1L), (counters.Held, counters.Released));
        NeighbourEntry entry = Assert.Single(await host.NeighboursAsync());
        Assert.Equal((host.Veth.PeerMac, NeighbourState.Reachable), (entry.Mac?.ToString(), entry.State));
        // The neighbour is on the connected prefix: a /32 via itself appears in the FIB.
        await WaitUntil(() => Task.FromResult(host.Routes.TryGet(new Flow.Stages.Routing.Ipv4Prefix(0x0A00000A, 32), out _)), "the host's /32 route");
        await StopAndCheckAsync(host);
    }

    [Fact]
    public async Task AFloodToADeadAddressGetsAtMostOneRequestPerSecondThenHostUnreachable()
    {
        using var host = new ArpHost();
        using System.Diagnostics.Process tshark = host.BeginArpCapture(12);
        DateTime end = DateTime.UtcNow + TimeSpan.FromSeconds(9);
        while (DateTime.UtcNow < end)
        {
            host.Injector.Send("10.0.0.99", 9, "x", count: 20);
            await Task.Delay(20);
        }
        Assert.True(tshark.WaitForExit(TimeSpan.FromSeconds(20)), "tshark did not end");
        List<double> requests = [.. (await tshark.StandardOutput.ReadToEndAsync())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.EndsWith(" 1 10.0.0.1 10.0.0.99", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ')[0], CultureInfo.InvariantCulture))];

        // 3 + 3 probes one second apart, then the neighbour failed: no more requests.
        Assert.True(requests.Count == 6, $"requests at {string.Join(", ", requests)}");
        for (int i = 1; i < requests.Count; i++)
        {
            Assert.True(requests[i] - requests[i - 1] >= 0.95, $"requests at {string.Join(", ", requests)}");
        }
        await StopAndCheckAsync(host);
        GraphStats stats = host.Graph.GetStats();
        long unreachable = stats.Stage("arp_resolve").OutOn("unreachable");
        Assert.True(unreachable > 0, stats.Stage("arp_resolve").ToString());
    }
}
