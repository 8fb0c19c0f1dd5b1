using Flow.Hosting;
using Xunit;

namespace Flow.Integration.Tests.Switching;

/// <summary>
/// A packet trace of a real ping through pipelines/switch.json on AF_PACKET veths to Linux
/// hosts in their own namespaces: h1 (p1, access VLAN 10) pings h2 (p2, access VLAN 10).
/// </summary>
/// <remarks>
/// <code>
///   h1 ─ p1_rx ─ classify ─ learn ─ forward ─ tag_p2 ─ p2_tx ─ h2     (echo request)
///   h2 ─ p2_rx ─ classify ─ learn ─ forward ─ tag_p1 ─ p1_tx ─ h1     (echo reply)
/// </code>
/// </remarks>
[Collection(nameof(NetnsCollection))]
public sealed class SwitchTraceTests
{
    [Fact]
    public async Task TraceOfAPingThroughTheSwitchFollowsTheExpectedPath()
    {
        using var hosts = new SwitchedHosts(buildGraph: veths => SwitchJson.Load(KernelPorts(veths.Select(v => v.HostName).ToArray())));
        string directory = Directory.CreateTempSubdirectory("flowtrace-").FullName;
        try
        {
            // Learn both hosts first, so the traced request is forwarded, not flooded.
            Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2", count: 1), "h1 could not ping h2 (both access VLAN 10)");
            await using ControlEndpoint endpoint = ControlEndpoint.Start(Path.Combine(directory, "sw.sock"), hosts.Graph);
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse start = await client.SendWordsAsync(["trace", "start"],
                new Dictionary<string, string> { ["count"] = "2", ["filter"] = "icmp and host 198.18.10.2" });
            Assert.True(start.Ok, start.Json);
            Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2", count: 1), "h1 could not ping h2 while tracing");
            ControlResponse show = null!;
            for (int i = 0; i < 200 && (show is null || show.Rows.Count < 12); i++)
            {
                await Task.Delay(25);
                show = await client.SendWordsAsync(["trace", "show"]);
            }
            Assert.True((await client.SendWordsAsync(["trace", "stop"])).Ok);
            string table = string.Join("\n", show.Rows.Select(r => string.Join(" | ", r)));
            Assert.Equal(12, show.Rows.Count);

            IReadOnlyList<string> packets = show.Column("packet");
            IReadOnlyList<string> stages = show.Column("stage");
            IReadOnlyList<string> results = show.Column("result");
            Assert.Equal(["p1_rx", "classify", "learn", "forward", "tag_p2", "p2_tx"], stages.Take(6));
            Assert.Equal(["p2_rx", "classify", "learn", "forward", "tag_p1", "p1_tx"], stages.Skip(6));
            Assert.Equal(["1", "1", "1", "1", "1", "1", "2", "2", "2", "2", "2", "2"], packets);
            Assert.Equal("p2", results[3]);
            Assert.Equal("sent", results[5]);
            Assert.Equal("p1", results[9]);
            Assert.Equal("sent", results[11]);
            Assert.All(show.Column("worker"), w => Assert.Equal("0", w));
            string learnNote = show.Column("note")[2];
            Assert.True(learnNote.StartsWith($"learned {hosts.MacOf(0)} on port 0, VLAN 10; destination on port ", StringComparison.Ordinal), table);
            Assert.Contains("IPv4 198.18.10.1 > 198.18.10.2 ttl 64 ICMP echo-request", show.Column("exit")[0], StringComparison.Ordinal);
            Assert.Contains("IPv4 198.18.10.2 > 198.18.10.1 ttl 64 ICMP echo-reply", show.Column("exit")[6], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        await hosts.StopAsync();
        Assert.True(hosts.Graph.GetStats().IsBalanced);
    }

    private static Dictionary<string, string> KernelPorts(string[] interfaces)
    {
        var parameters = new Dictionary<string, string> { ["backend"] = "af_packet", ["idle"] = "yielding" };
        for (int i = 0; i < interfaces.Length; i++)
        {
            parameters[$"p{i + 1}.interface"] = interfaces[i];
            parameters[$"p{i + 1}.af_packet"] = """{ "pool_frames": 1024, "block_count": 8 }""";
        }
        return parameters;
    }
}
