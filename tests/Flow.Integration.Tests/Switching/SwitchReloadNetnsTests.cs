using System.Diagnostics;
using Flow.Hosting;
using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Integration.Tests.Switching;

/// <summary>
/// <c>pipelines/switch.json</c> on four namespaced hosts (<see cref="SwitchedHosts"/>), reloaded
/// while host a streams UDP to host b: the new version moves host c from VLAN 20 to VLAN 10 and
/// adds a fifth port with a fifth host. Every learned MAC entry stays, the stream between the
/// unchanged ports loses nothing (each datagram checked at the receiver), and afterwards c and the
/// new host reach a.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class SwitchReloadNetnsTests
{
    private const int Datagrams = 8000;
    private const int Rate = 4000;

    [Fact]
    public async Task AReloadUnderTrafficChangesAVlanAndAddsAPortKeepingEveryMacEntryAndEveryPacket()
    {
        using ServiceProvider services = SwitchJson.Services();
        GraphFileReloader? reloader = null;
        using var hosts = new SwitchedHosts(buildGraph: veths =>
        {
            reloader = new GraphFileReloader(services.GetRequiredService<GraphFileLoader>(), SwitchJson.Path, Parameters(veths));
            return reloader.Load();
        });
        using var e = new NetnsFixture("swe");
        using var fifth = new VethPair(e, "s4");
        e.Exec("ip", "addr", "add", "198.18.10.5/24", "dev", fifth.PeerName);
        string directory = Directory.CreateTempSubdirectory("flow-switch-reload-").FullName;
        try
        {
            string next = Path.Combine(directory, "switch.json");
            File.WriteAllText(next, NextVersion(File.ReadAllText(SwitchJson.Path), fifth.HostName));

            Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "a could not ping b before the reload");
            Assert.True(SwitchedHosts.Ping(hosts.D, "198.18.10.1"), "d could not ping a before the reload");
            Assert.False(SwitchedHosts.Ping(hosts.C, "198.18.10.1", count: 1), "c reached a across VLANs before the reload");
            var before = (await hosts.Control.ShowMacTableAsync()).Select(m => (m.Vlan, m.Mac, m.PortId)).ToHashSet();
            Assert.True(before.Count >= 4, $"the switch learned {before.Count} addresses");

            // The veth would hand a UDP checksum to offload that no one computes on the way through an AF_PACKET switch.
            hosts.A.Exec("ethtool", "-K", hosts.Veths[0].PeerName, "tx", "off");
            Process receiver = hosts.B.Begin(Shell.Python, "-c", CheckedUdpStream.Receiver("198.18.10.2", 5000));
            Assert.Equal("READY", await receiver.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            Process sender = hosts.A.Begin(Shell.Python, "-c", CheckedUdpStream.Sender("198.18.10.2", 5000, Datagrams, Rate));
            await Task.Delay(TimeSpan.FromSeconds(0.6));
            GraphReload reload = await reloader!.ReloadAsync(next).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(sender.WaitForExit(TimeSpan.FromSeconds(30)), "the sender did not finish");
            Assert.True((await sender.StandardOutput.ReadToEndAsync()).Trim() == "sent", $"the sender failed: {await sender.StandardError.ReadToEndAsync()}");
            Assert.True(receiver.WaitForExit(TimeSpan.FromSeconds(40)), "the receiver did not finish");
            string received = (await receiver.StandardOutput.ReadToEndAsync()).Trim();

            Assert.Equal($"{Datagrams} 0", received); // every datagram, none corrupt
            Assert.Equal(0, reload.PacketsLost);
            Assert.Contains("learn", reload.Kept);
            Assert.Subset(reload.Kept.ToHashSet(), new HashSet<string> { "p1_rx", "p2_rx", "p3_rx", "p4_rx", "p1_tx", "p2_tx", "p3_tx", "p4_tx" });
            Assert.Equal(["classify", "forward"], reload.Replaced);
            Assert.Equal(["p5_rx", "p5_tx", "tag_p5"], reload.Added);
            Assert.Empty(reload.Removed);
            var after = (await hosts.Control.ShowMacTableAsync()).Select(m => (m.Vlan, m.Mac, m.PortId)).ToHashSet();
            Assert.Subset(after, before);

            Assert.True(SwitchedHosts.Ping(hosts.C, "198.18.10.1"), "c could not reach a after the reload put it in VLAN 10");
            Assert.True(SwitchedHosts.Ping(e, "198.18.10.1"), "the host on the added port could not reach a");
            Assert.Contains((await hosts.Control.ShowMacTableAsync()), m => m.PortId == 4 && m.Vlan == 10);
            GraphStats stats = await hosts.StopAsync();
            Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Dictionary<string, string> Parameters(VethPair[] veths)
    {
        var parameters = new Dictionary<string, string> { ["backend"] = "af_packet", ["idle"] = "yielding" };
        for (int i = 0; i < veths.Length; i++)
        {
            parameters[$"p{i + 1}.interface"] = veths[i].HostName;
            parameters[$"p{i + 1}.af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""";
        }
        return parameters;
    }

    /// <summary>switch.json with p3 moved to VLAN 10 and a port p5 (access 10) on <paramref name="fifth"/>.</summary>
    private static string NextVersion(string json, string fifth)
    {
        string Replace(string text, string from, string to)
        {
            Assert.Contains(from, text);
            return text.Replace(from, to, StringComparison.Ordinal);
        }
        json = Replace(json, """{ "name": "p3", "mode": "access", "vlan": 20 },""", """{ "name": "p3", "mode": "access", "vlan": 10 },""");
        json = Replace(json, """{ "name": "p4", "mode": "trunk", "native_vlan": 10, "allowed_vlans": [10, 20] }""",
            """{ "name": "p4", "mode": "trunk", "native_vlan": 10, "allowed_vlans": [10, 20] }, { "name": "p5", "mode": "access", "vlan": 10 }""");
        json = Replace(json, "\"switch_ports\": [", $$"""
            "p5": { "backend": "af_packet", "interface": "{{fifth}}", "input_port": 4, "af_packet": { "pool_frames": 1024, "block_count": 8 } },
            "switch_ports": [
            """);
        json = Replace(json, "\"p4_rx\": { \"type\": \"port_rx\", \"config\": \"${p4}\" },",
            "\"p4_rx\": { \"type\": \"port_rx\", \"config\": \"${p4}\" }, \"p5_rx\": { \"type\": \"port_rx\", \"config\": \"${p5}\" },");
        json = Replace(json, "\"tag_p4\": { \"type\": \"vlan_tagger\" },", "\"tag_p4\": { \"type\": \"vlan_tagger\" }, \"tag_p5\": { \"type\": \"vlan_tagger\" },");
        json = Replace(json, "\"p4_tx\": { \"type\": \"port_tx\", \"config\": \"${p4}\" }",
            "\"p4_tx\": { \"type\": \"port_tx\", \"config\": \"${p4}\" }, \"p5_tx\": { \"type\": \"port_tx\", \"config\": \"${p5}\" }");
        json = Replace(json, "\"forward:p4 -> tag_p4\", \"tag_p4 -> p4_tx\"",
            "\"forward:p4 -> tag_p4\", \"tag_p4 -> p4_tx\", \"p5_rx -> classify\", \"forward:p5 -> tag_p5\", \"tag_p5 -> p5_tx\"");
        return json;
    }
}
