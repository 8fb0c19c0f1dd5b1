using System.Text;
using System.Text.Json;
using Flow.Hosting;
using Flow.Stages.Switching;
using Flow.TestKit;
using Xunit;

namespace Flow.Integration.Tests.Switching;

/// <summary>
/// Control of a running switch between Linux hosts in private namespaces (topology in
/// <see cref="SwitchedHosts"/>), driven through its real control socket — with
/// <see cref="ControlClient"/> and with the <c>flow ctl</c> command as a process:
/// <code>
///  flow ctl ──unix socket──> ControlEndpoint ──> switch commands ──mailboxes──> classify / learn / forward
/// </code>
/// The commands come from the graph's <c>l2_forwarder</c> (<see cref="IControlledStage"/>), as in <c>flow run</c>.
/// </summary>
[Collection(nameof(NetnsCollection))]
public sealed class SwitchControlNetnsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowctl-").FullName;

    private string Socket => Path.Combine(_directory, "sw.sock");

    /// <summary>Runs <c>flow ctl --control &lt;socket&gt; args</c> (bounded) and returns its exit code and output.</summary>
    private ShellResult Ctl(params string[] args) =>
        Shell.TryRun(TimeSpan.FromSeconds(60), "dotnet", [Path.Combine(AppContext.BaseDirectory, "flow.dll"), "ctl", "--control", Socket, .. args]);

    private string CtlOk(params string[] args)
    {
        ShellResult result = Ctl(args);
        Assert.True(result.ExitCode == 0, $"flow ctl {string.Join(' ', args)} exited {result.ExitCode}: {result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>The rows of a <c>--json</c> reply, as column name → cell.</summary>
    private static List<Dictionary<string, string>> Rows(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        string[] columns = document.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
        return document.RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => r.EnumerateArray().Select((cell, i) => (columns[i], cell.GetString()!)).ToDictionary(x => x.Item1, x => x.Item2))
            .ToList();
    }

    private static async Task StopAndCheckAsync(SwitchedHosts hosts)
    {
        await hosts.StopAsync();
        GraphStats stats = hosts.Graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
    }

    [Fact]
    public async Task MacShowListsEachHostOnItsPortThroughTheSocketAndFlowCtl()
    {
        using var hosts = new SwitchedHosts();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(Socket, hosts.Graph);
        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "a could not ping b");
        Assert.True(SwitchedHosts.Ping(hosts.D, "198.18.10.1"), "d could not ping a over the trunk's native VLAN");
        SwitchedHosts.Ping(hosts.C, "198.18.20.4", count: 1);

        ControlResponse reply = await ControlClient.SendAsync(Socket, "mac show");
        Assert.True(reply.Ok, reply.Json);
        var table = reply.Rows.Select(r => (Mac: r[0], Vlan: r[1], Port: r[2], Type: r[3])).ToList();
        Assert.Contains((hosts.MacOf(0), "10", "host_a", "dynamic"), table);
        Assert.Contains((hosts.MacOf(1), "10", "host_b", "dynamic"), table);
        Assert.Contains((hosts.MacOf(2), "20", "host_c", "dynamic"), table);
        Assert.Contains((hosts.MacOf(3), "10", "uplink", "dynamic"), table);

        // The same through 'flow ctl', filtered by VLAN and by port.
        List<Dictionary<string, string>> vlan20 = Rows(CtlOk("mac", "show", "--vlan", "20", "--json"));
        Assert.Equal([hosts.MacOf(2)], vlan20.Select(r => r["mac"]));
        List<Dictionary<string, string>> uplink = Rows(CtlOk("mac", "show", "--port", "uplink", "--json"));
        Assert.Equal([hosts.MacOf(3)], uplink.Select(r => r["mac"]));
        string plain = CtlOk("mac", "show", "--port", "host_a");
        Assert.Matches($@"^MAC\s+VLAN\s+PORT\s+TYPE\s+AGE\n{hosts.MacOf(0)}\s+10\s+host_a\s+dynamic\s+\d+s\n", plain);
        await StopAndCheckAsync(hosts);
    }

    [Fact]
    public async Task MacFlushEmptiesTheTableAndTrafficRelearnsIt()
    {
        using var hosts = new SwitchedHosts();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(Socket, hosts.Graph);
        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "a could not ping b");
        long learned = (await hosts.Control.LearnerCountersAsync()).Learned;

        string flushed = CtlOk("mac", "flush");

        Assert.Matches(@"^switch 'forward': flushed [2-9]\d* dynamic entries", flushed);
        Assert.DoesNotContain(Rows(CtlOk("mac", "show", "--vlan", "10", "--json")), r => r["mac"] == hosts.MacOf(0) || r["mac"] == hosts.MacOf(1));

        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "a could not ping b after the flush");
        List<Dictionary<string, string>> table = Rows(CtlOk("mac", "show", "--json"));
        Assert.Contains(table, r => r["mac"] == hosts.MacOf(0) && r["port"] == "host_a");
        Assert.Contains(table, r => r["mac"] == hosts.MacOf(1) && r["port"] == "host_b");
        Assert.True((await hosts.Control.LearnerCountersAsync()).Learned >= learned + 2, "a and b were not learned again");
        await StopAndCheckAsync(hosts);
    }

    [Fact]
    public async Task AStaticEntrySteersUnicastToItsPortAndNeverAges()
    {
        using var hosts = new SwitchedHosts(new MacLearnerOptions { AgingTime = TimeSpan.FromSeconds(2) });
        await using ControlEndpoint endpoint = ControlEndpoint.Start(Socket, hosts.Graph);
        const string Nobody = "02:00:00:00:99:99";
        const int Count = 20;
        Assert.Equal($"switch 'forward': {Nobody} in VLAN 10 is on port host_b (static)\n",
            CtlOk("mac", "add", Nobody, "--vlan", "10", "--port", "host_b"));
        IReadOnlyList<SwitchPortCounters> before = await hosts.Control.PortCountersAsync();

        // Unknown unicast would flood to b and the uplink; the static entry sends it to b alone.
        SwitchedHosts.SendWithScapy(hosts.A, hosts.Veths[0].PeerName,
            $"[Ether(src='{hosts.MacOf(0)}', dst='{Nobody}', type=0x88b5)/Raw(b'\\x00'*46)] * {Count}");
        await Waits.Until(async () => (await hosts.Control.PortCountersAsync())[0].Received - before[0].Received >= Count, "the switch to receive a's frames");
        IReadOnlyList<SwitchPortCounters> after = await hosts.Control.PortCountersAsync();
        Assert.Equal(Count, after[1].SentUnicast - before[1].SentUnicast);
        Assert.Equal(0, after[3].SentUnicast - before[3].SentUnicast);
        Assert.Equal(0, after[2].SentUnicast - before[2].SentUnicast);

        // a's dynamic entry ages out (2 s); the static one stays.
        await Waits.Until(async () => !(await hosts.Control.ShowMacTableAsync()).Any(e => !e.IsStatic), "the dynamic entries to age out");
        List<Dictionary<string, string>> table = Rows(CtlOk("mac", "show", "--json"));
        Dictionary<string, string> entry = Assert.Single(table);
        Assert.Equal((Nobody, "10", "host_b", "static", "-"), (entry["mac"], entry["vlan"], entry["port"], entry["type"], entry["age"]));
        Assert.True((await hosts.Control.LearnerCountersAsync()).Aged >= 1);
        await StopAndCheckAsync(hosts);
    }

    [Fact]
    public async Task PortSetMovesAPortToAnotherVlanAndIsolationFollows()
    {
        using var hosts = new SwitchedHosts();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(Socket, hosts.Graph);
        // c holds 198.18.10.3 too, but its port is in VLAN 20: a cannot reach it.
        Assert.False(SwitchedHosts.Ping(hosts.A, "198.18.10.3", count: 2), "a reached c across VLANs");

        Assert.Equal("switch 'forward': port host_c is now access, VLAN 10; its dynamic MAC entries were flushed\n",
            CtlOk("port", "set", "host_c", "access", "10"));
        // a's kernel marked 198.18.10.3 FAILED and would not ask again for a while: make it forget.
        hosts.A.Exec("ip", "neigh", "flush", "all");
        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.3"),
            $"a could not ping c once c's port is in VLAN 10:\n{CtlOk("port", "show")}{CtlOk("mac", "show")}{CtlOk("stats")}{hosts.A.Exec("ip", "neigh")}");
        Dictionary<string, string> c = Rows(CtlOk("port", "show", "--json")).Single(r => r["port"] == "host_c");
        Assert.Equal(("access", "10"), (c["mode"], c["vlans"]));

        CtlOk("port", "set", "host_c", "access", "20");
        Assert.False(SwitchedHosts.Ping(hosts.A, "198.18.10.3", count: 2), "a still reached c after its port went back to VLAN 20");
        await StopAndCheckAsync(hosts);
    }

    [Fact]
    public async Task MalformedRequestsAndUnknownCommandsGetErrorsAndTheSwitchForwardsOn()
    {
        using var hosts = new SwitchedHosts();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(Socket, hosts.Graph);
        await using (ControlClient client = await ControlClient.ConnectAsync(Socket))
        {
            foreach (string bad in new[] { "mac show", "{", "{\"command\": null}", "{\"command\": \"mac show\", \"args\": \"vlan=10\"}", "\u0000\u0001\u0002" })
            {
                string reply = await client.SendLineAsync(Encoding.UTF8.GetBytes(bad + "\n"));
                Assert.Contains("\"ok\":false,\"error\":\"bad_request\"", reply);
            }
            ControlResponse unknown = await client.SendAsync("mac forget");
            Assert.Equal(ControlErrors.UnknownCommand, unknown.Error);
            ControlResponse badVlan = await client.SendAsync("mac show", new Dictionary<string, string> { ["vlan"] = "-1" });
            Assert.Equal((ControlErrors.Refused, "vlan '-1' is not a VLAN id (a number from 1 to 4094)"), (badVlan.Error, badVlan.Message));
        }
        ShellResult badMac = Ctl("mac", "add", "zz:00:00:00:00:01", "--vlan", "10", "--port", "host_a");
        Assert.Equal((9, "flow: 'zz:00:00:00:00:01' is not a MAC address; write it as 02:00:00:00:00:0a\n"), (badMac.ExitCode, badMac.StandardError));
        ShellResult badPort = Ctl("mac", "flush", "--port", "host_z");
        Assert.Equal((9, "flow: no switch port is named 'host_z'; the ports are host_a, host_b, host_c, uplink\n"), (badPort.ExitCode, badPort.StandardError));

        Assert.Equal(GraphState.Running, hosts.Graph.State);
        Assert.True(SwitchedHosts.Ping(hosts.A, "198.18.10.2"), "the switch stopped forwarding after bad requests");
        await StopAndCheckAsync(hosts);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
