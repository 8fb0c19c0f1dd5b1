using System.Diagnostics;
using Flow.Stages.Routing;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Router;

/// <summary>
/// router.json between two Linux hosts (<see cref="RoutedHosts"/>) reloaded while the LAN host
/// streams UDP to the WAN host: the new version adds a static route. The lookups take it live —
/// nothing is replaced, the neighbours stay, the stream loses nothing (each datagram checked at
/// the receiver) — and the LAN host reaches the network behind the new route.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class RouterReloadNetnsTests
{
    private const int Datagrams = 8000;
    private const int Rate = 4000;
    private const string DefaultRoutes = """
        "routes": [
              { "prefix": "0.0.0.0/0", "via": "192.168.100.1" }
            ],
        """;

    [Fact]
    public async Task AReloadUnderTrafficAddsARouteLiveAndLosesNothing()
    {
        string router = File.ReadAllText(RouterJson.Path).ReplaceLineEndings("\n");
        Assert.Contains(DefaultRoutes.ReplaceLineEndings("\n"), router);
        string directory = Directory.CreateTempSubdirectory("flow-router-reload-").FullName;
        try
        {
            string first = Path.Combine(directory, "router.json");
            string second = Path.Combine(directory, "router-with-route.json");
            File.WriteAllText(first, router.Replace(DefaultRoutes.ReplaceLineEndings("\n"), "\"routes\": [],\n", StringComparison.Ordinal));
            File.WriteAllText(second, router.Replace(DefaultRoutes.ReplaceLineEndings("\n"),
                "\"routes\": [{ \"prefix\": \"198.51.100.0/24\", \"via\": \"192.168.100.1\" }],\n", StringComparison.Ordinal));
            using var hosts = new RoutedHosts("af_packet", reloadableFile: first);

            Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.WanHost), "the lan host could not reach the wan host before the reload");
            Assert.False(RoutedHosts.Ping(hosts.Lan, RoutedHosts.Beyond, count: 1), "the lan host reached 198.51.100.1 without a route to it");
            string neighboursBefore = Text(await hosts.ControlAsync("neigh show", new Dictionary<string, string>()));
            Assert.Contains(RoutedHosts.WanHost, neighboursBefore);

            Process receiver = hosts.Wan.Begin(Shell.Python, "-c", CheckedUdpStream.Receiver(RoutedHosts.WanHost, 5000));
            Assert.Equal("READY", await receiver.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            Process sender = hosts.Lan.Begin(Shell.Python, "-c", CheckedUdpStream.Sender(RoutedHosts.WanHost, 5000, Datagrams, Rate));
            await Task.Delay(TimeSpan.FromSeconds(0.6));
            GraphReload reload = await hosts.Reloader!.ReloadAsync(second).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(sender.WaitForExit(TimeSpan.FromSeconds(30)), "the sender did not finish");
            Assert.True((await sender.StandardOutput.ReadToEndAsync()).Trim() == "sent", $"the sender failed: {await sender.StandardError.ReadToEndAsync()}");
            Assert.True(receiver.WaitForExit(TimeSpan.FromSeconds(40)), "the receiver did not finish");

            Assert.Equal($"{Datagrams} 0", (await receiver.StandardOutput.ReadToEndAsync()).Trim()); // every datagram, none corrupt
            Assert.Equal(0, reload.PacketsLost);
            Assert.Equal(["ipv4_lookup", "local_lookup"], reload.Reconfigured);
            Assert.Empty(reload.Replaced);
            Assert.Empty(reload.Added);
            Assert.Empty(reload.Removed);
            Assert.True(hosts.Routes.TryGet(new Ipv4Prefix(0xC6336400, 24), out Ipv4Route route) && route.Kind == NextHopKind.Via, "198.51.100.0/24 is not in the table");
            Assert.Contains(RoutedHosts.WanHost, Text(await hosts.ControlAsync("neigh show", new Dictionary<string, string>())));

            Assert.True(RoutedHosts.Ping(hosts.Lan, RoutedHosts.Beyond), "the lan host could not reach 198.51.100.1 through the route the reload added");
            GraphStats stats = await hosts.StopAsync();
            Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Text(ControlReply reply) => reply.Message + "\n" + string.Join("\n", reply.Rows.Select(row => string.Join(" ", row)));
}
