using System.Text.Json;
using Flow.TestKit;
using Xunit;

namespace Flow.Cli.Tests;

/// <summary>
/// The router's verbs as an operator types them: <c>flow run pipelines/router.json</c> on TAP
/// ports it creates, driven by <c>flow ctl</c> processes over the real control socket, each verb
/// with <c>--json</c> as well as plain.
/// </summary>
public sealed class RouterCtlTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowrouter-").FullName;

    private string Socket => Path.Combine(_directory, "router.sock");

    private async Task<JsonDocument> JsonAsync(params string[] words)
    {
        (int code, string stdout, string stderr) = await FlowProcess.RunAsync(60, ["ctl", "--control", Socket, .. words, "--json"]);
        Assert.True(code == 0, $"flow ctl {string.Join(' ', words)} --json: exit {code}: {stderr}{stdout}");
        return JsonDocument.Parse(stdout);
    }

    [Fact]
    public async Task AddrRouteNeighIcmpAndPingVerbsDriveTheRunningRouter()
    {
        Shell.RequireRootAnd("ip");
        string lan = NetnsFixture.UniqueName("ctl", 15);
        string wan = NetnsFixture.UniqueName("ctw", 15);
        using FlowProcess flow = FlowProcess.Start("run", Path.Combine(FlowProcess.RepositoryRoot, "pipelines", "router.json"), "--control", Socket,
            "--set", "backend=tap", "--set", "lan.interface=" + lan, "--set", "wan.interface=" + wan,
            "--set", """routes=[{"prefix": "0.0.0.0/0", "via": "192.168.100.1"}]""");
        await flow.WaitForStderrAsync($"flow: control socket at {Socket}");

        using (JsonDocument addresses = await JsonAsync("addr", "show"))
        {
            Dictionary<string, string> lanRow = CtlJson.Rows(addresses.RootElement).Single(r => r["interface"] == "lan");
            Assert.Equal(("192.168.1.1/24", "02:00:00:00:01:01"), (lanRow["address"], lanRow["mac"]));
        }

        (int addCode, string added, string addErr) = await FlowProcess.RunAsync(60, "ctl", "--control", Socket, "route", "add", "203.0.113.0/24", "via", "192.168.100.7");
        Assert.True(addCode == 0, addErr + added);
        using (JsonDocument routes = await JsonAsync("route", "show"))
        {
            List<Dictionary<string, string>> rows = CtlJson.Rows(routes.RootElement);
            Assert.Contains(rows, r => r["prefix"] == "203.0.113.0/24" && r["via"] == "192.168.100.7");
            Assert.Contains(rows, r => r["prefix"] == "0.0.0.0/0" && r["via"] == "192.168.100.1");
            Assert.Contains(rows, r => r["prefix"] == "192.168.1.0/24" && r["kind"] == "connected");
        }
        using (JsonDocument deleted = await JsonAsync("route", "del", "203.0.113.0/24"))
        {
            Assert.True(deleted.RootElement.GetProperty("ok").GetBoolean(), deleted.RootElement.ToString());
        }
        using (JsonDocument routes = await JsonAsync("route", "show"))
        {
            Assert.DoesNotContain(CtlJson.Rows(routes.RootElement), r => r["prefix"] == "203.0.113.0/24");
        }

        // The router's own address answers the router; nobody answers 192.168.1.99, so it ends
        // up in the neighbour table as a neighbour being probed (or failed).
        using (JsonDocument ping = await JsonAsync("ping", "192.168.1.1", "--count", "2", "--interval", "100"))
        {
            Assert.All(CtlJson.Rows(ping.RootElement), r => Assert.Equal(("192.168.1.1", "reply"), (r["from"], r["result"])));
        }
        using (JsonDocument dead = await JsonAsync("ping", "192.168.1.99", "--count", "1", "--timeout", "500"))
        {
            Assert.Contains("1 sent, 0 received", dead.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        using (JsonDocument neighbours = await JsonAsync("neigh", "show"))
        {
            Assert.Contains(CtlJson.Rows(neighbours.RootElement), r => r["address"] == "192.168.1.99" && r["interface"] == "lan");
        }
        using (JsonDocument flushed = await JsonAsync("neigh", "flush"))
        {
            Assert.True(flushed.RootElement.GetProperty("ok").GetBoolean(), flushed.RootElement.ToString());
        }
        using (JsonDocument neighbours = await JsonAsync("neigh", "show"))
        {
            Assert.DoesNotContain(CtlJson.Rows(neighbours.RootElement), r => r["address"] == "192.168.1.99");
        }
        using (JsonDocument icmp = await JsonAsync("icmp", "show"))
        {
            Assert.NotEmpty(CtlJson.Rows(icmp.RootElement));
        }

        flow.Terminate();
        Assert.Equal(0, await flow.WaitForExitAsync(30));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
