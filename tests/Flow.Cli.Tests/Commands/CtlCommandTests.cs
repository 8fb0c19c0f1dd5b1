using Flow.TestKit;
using Xunit;

namespace Flow.Cli.Tests;

/// <summary>
/// <c>flow ctl</c> against a real <c>flow run</c> process: a 3-port switch graph whose hosts are
/// generators (no root, no NIC needed) — host a (02:..:0a) on port host_a, host b (02:..:0b) on
/// host_b, both broadcasting in VLAN 10 — driven through the control socket.
/// <code>
///  gen_a ─┐                                        ┌─ tag_host_a ─ sink_a
///  gen_b ─┴─ classify ─ learn ─ forward ──────────┼─ tag_host_b ─ sink_b
///                                                  └─ tag_uplink ─ sink_u
/// </code>
/// </summary>
public sealed class CtlCommandTests : IDisposable
{
    private const string Ports = """
        [{ "name": "host_a", "vlan": 10 }, { "name": "host_b", "vlan": 10 },
         { "name": "uplink", "mode": "trunk", "allowed_vlans": [10, 20], "native_vlan": 10 }]
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("flowctl-").FullName;

    private string Socket => Path.Combine(_directory, "sw.sock");

    private static string Broadcast(int host) =>
        $"ff ff ff ff ff ff 02 00 00 00 00 {host:x2} 88 b5 " + string.Join(' ', Enumerable.Repeat("00", 46));

    /// <summary>One switch (prefix "") or a second one beside it (prefix "sw2_").</summary>
    private static string SwitchStages(string prefix) => $$"""
            "{{prefix}}gen_a": { "type": "generator", "config": { "template": "{{Broadcast(0x0a)}}", "rate_pps": 200, "input_port": 0 } },
            "{{prefix}}gen_b": { "type": "generator", "config": { "template": "{{Broadcast(0x0b)}}", "rate_pps": 200, "input_port": 1 } },
            "{{prefix}}classify": { "type": "vlan_classifier", "config": { "ports": {{Ports}} } },
            "{{prefix}}learn": { "type": "mac_learner" },
            "{{prefix}}forward": { "type": "l2_forwarder", "config": { "ports": {{Ports}} } },
            "{{prefix}}tag_host_a": { "type": "vlan_tagger" }, "{{prefix}}tag_host_b": { "type": "vlan_tagger" }, "{{prefix}}tag_uplink": { "type": "vlan_tagger" },
            "{{prefix}}sink_a": { "type": "null_sink" }, "{{prefix}}sink_b": { "type": "null_sink" }, "{{prefix}}sink_u": { "type": "null_sink" }
        """;

    private static string SwitchEdges(string p) => $"""
            "{p}gen_a -> {p}classify", "{p}gen_b -> {p}classify", "{p}classify -> {p}learn", "{p}learn -> {p}forward",
            "{p}forward:host_a -> {p}tag_host_a", "{p}forward:host_b -> {p}tag_host_b", "{p}forward:uplink -> {p}tag_uplink",
            "{p}tag_host_a -> {p}sink_a", "{p}tag_host_b -> {p}sink_b", "{p}tag_uplink -> {p}sink_u"
        """;

    private static string OneSwitch => $$"""
        { "workers": [{ "id": 0, "idle": "event" }],
          "stages": { {{SwitchStages("")}} },
          "edges": [ {{SwitchEdges("")}} ] }
        """;

    private static string TwoSwitches => $$"""
        { "workers": [{ "id": 0, "idle": "event" }],
          "stages": { {{SwitchStages("")}}, {{SwitchStages("sw2_")}} },
          "edges": [ {{SwitchEdges("")}}, {{SwitchEdges("sw2_")}} ] }
        """;

    private async Task<FlowProcess> RunAsync(TempGraph graph)
    {
        FlowProcess flow = FlowProcess.Start("run", graph.Path, "--control", Socket);
        try
        {
            await flow.WaitForStderrAsync($"flow: control socket at {Socket}");
        }
        catch
        {
            flow.Dispose();
            throw;
        }
        return flow;
    }

    private static async Task StopAndCheckAsync(FlowProcess flow)
    {
        flow.Terminate();
        int code = await flow.WaitForExitAsync(60);
        Assert.True(code == 0, flow.Stderr);
        Assert.EndsWith("final balanced=true\n", flow.Stdout);
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> CtlAsync(params string[] args) =>
        FlowProcess.RunAsync(60, ["ctl", "--control", Socket, .. args]);

    /// <summary>The rows of a <c>--json</c> reply, as column name → cell.</summary>
    [Fact]
    public async Task MacShowListsEachHostOnItsPortAndAStaticEntryIsAddedAndDeleted()
    {
        using var graph = new TempGraph(OneSwitch, "switch.json");
        using FlowProcess flow = await RunAsync(graph);

        List<Dictionary<string, string>> table = [];
        await Waits.Until(async () =>
        {
            (int code, string json, string stderr) = await CtlAsync("mac", "show", "--json");
            Assert.True(code == 0, stderr);
            table = CtlJson.Rows(json);
            return table.Count >= 2;
        }, () => $"the switch to learn both hosts; it has {table.Count} entries");
        Assert.Equal("host_a", table.Single(r => r["mac"] == "02:00:00:00:00:0a")["port"]);
        Assert.Equal("host_b", table.Single(r => r["mac"] == "02:00:00:00:00:0b")["port"]);
        Assert.All(table, r => Assert.Equal(("10", "dynamic"), (r["vlan"], r["type"])));

        (int addCode, string added, string addErr) = await CtlAsync("mac", "add", "02:00:00:00:00:0C", "--vlan", "10", "--port", "uplink");
        Assert.True(addCode == 0, addErr);
        Assert.Equal("switch 'forward': 02:00:00:00:00:0c in VLAN 10 is on port uplink (static)\n", added);

        // Plain output (redirected): aligned columns with a header, then the summary.
        (int showCode, string shown, _) = await CtlAsync("mac", "show", "--port", "uplink");
        Assert.Equal(0, showCode);
        Assert.Equal("""
            MAC                VLAN  PORT    TYPE    AGE
            02:00:00:00:00:0c  10    uplink  static  -
            switch 'forward': 1 of 3 entries

            """, shown);

        (int flushCode, string flushed, _) = await CtlAsync("mac", "flush", "--vlan", "10");
        Assert.Equal(0, flushCode);
        Assert.StartsWith("switch 'forward': flushed 2 dynamic entries", flushed);
        (_, string afterFlush, _) = await CtlAsync("mac", "show", "--json");
        Assert.Contains(CtlJson.Rows(afterFlush), r => r["mac"] == "02:00:00:00:00:0c" && r["type"] == "static");

        (int delCode, string deleted, _) = await CtlAsync("mac", "del", "02:00:00:00:00:0c");
        Assert.Equal(0, delCode);
        Assert.Equal("switch 'forward': removed 1 entry for 02:00:00:00:00:0c\n", deleted);
        (int againCode, _, string again) = await CtlAsync("mac", "del", "02:00:00:00:00:0c", "--vlan", "10");
        Assert.Equal(9, againCode);
        Assert.Equal("flow: the MAC table has no entry for 02:00:00:00:00:0c in VLAN 10\n", again);
        await StopAndCheckAsync(flow);
    }

    [Fact]
    public async Task PortSetChangesAPortsModeAndPortShowListsIt()
    {
        using var graph = new TempGraph(OneSwitch, "switch.json");
        using FlowProcess flow = await RunAsync(graph);

        (int accessCode, string access, string accessErr) = await CtlAsync("port", "set", "host_b", "access", "20");
        Assert.True(accessCode == 0, accessErr);
        Assert.Equal("switch 'forward': port host_b is now access, VLAN 20; its dynamic MAC entries were flushed\n", access);
        (int trunkCode, string trunk, string trunkErr) = await CtlAsync("port", "set", "uplink", "trunk", "20,30-32", "--native", "20");
        Assert.True(trunkCode == 0, trunkErr);
        Assert.Equal("switch 'forward': port uplink is now trunk, VLANs 20,30,31,32, native 20; its dynamic MAC entries were flushed\n", trunk);

        (int showCode, string json, _) = await CtlAsync("port", "show", "--json");
        Assert.Equal(0, showCode);
        List<Dictionary<string, string>> ports = CtlJson.Rows(json);
        Assert.Equal(["host_a", "host_b", "uplink"], ports.Select(p => p["port"]));
        Assert.Equal(("access", "20", "-"), (ports[1]["mode"], ports[1]["vlans"], ports[1]["native"]));
        Assert.Equal(("trunk", "20,30,31,32", "20"), (ports[2]["mode"], ports[2]["vlans"], ports[2]["native"]));

        // host b's broadcasts now reach only the uplink (VLAN 20's other member), never host a.
        Dictionary<string, string>? v20 = null;
        await Waits.Until(async () =>
        {
            (_, string vlans, _) = await CtlAsync("vlan", "show", "--json");
            v20 = CtlJson.Rows(vlans).FirstOrDefault(r => r["vlan"] == "20");
            return v20 is not null && long.Parse(v20["received"]) > 0;
        }, "a frame classified into VLAN 20");
        Assert.Equal("host_b,uplink", v20!["ports"]);
        await StopAndCheckAsync(flow);
    }

    [Fact]
    public async Task BadValuesAreRefusedNamingTheValueWithExitCode9AndTheGraphRunsOn()
    {
        using var graph = new TempGraph(OneSwitch, "switch.json");
        using FlowProcess flow = await RunAsync(graph);

        async Task Refused(string expected, params string[] args)
        {
            (int code, string stdout, string stderr) = await CtlAsync(args);
            Assert.True(code == 9, $"exit {code}; stdout {stdout}; stderr {stderr}");
            Assert.Equal($"flow: {expected}\n", stderr);
        }

        await Refused("'02:00:00:00:0a' is not a MAC address; write it as 02:00:00:00:00:0a", "mac", "add", "02:00:00:00:0a", "--vlan", "10", "--port", "host_a");
        await Refused("no switch port is named 'host_x'; the ports are host_a, host_b, uplink", "mac", "add", "02:00:00:00:00:0c", "--vlan", "10", "--port", "host_x");
        await Refused("no switch port is named 'host_x'; the ports are host_a, host_b, uplink", "mac", "show", "--port", "host_x");
        await Refused("VLAN 4095 is out of range 1 to 4094", "mac", "show", "--vlan", "4095");
        await Refused("vlan 'ten' is not a VLAN id (a number from 1 to 4094)", "mac", "flush", "--vlan", "ten");
        await Refused("port 'host_a' does not carry VLAN 20; a static entry there would never be used", "mac", "add", "02:00:00:00:00:0c", "--vlan", "20", "--port", "host_a");
        await Refused("MAC 01:00:5e:00:00:01 is a group address; only unicast addresses are learned or placed", "mac", "add", "01:00:5e:00:00:01", "--vlan", "10", "--port", "host_a");
        await Refused("VLAN list '30-20': range '30-20' runs backwards", "port", "set", "uplink", "trunk", "30-20");
        await Refused("no switch port is named 'eth9'; the ports are host_a, host_b, uplink", "port", "set", "eth9", "access", "10");
        await Refused("VLAN 0 is out of range 1 to 4094", "port", "set", "host_a", "access", "0");
        await Refused("unknown command 'mac shw'; did you mean 'mac show'? 'mac' commands are: mac add, mac del, mac flush, mac show", "mac", "shw");
        await Refused("'mac show' has no argument 'colour'; it takes vlan, port, start, limit", "mac", "show", "--colour", "red");
        await Refused("'mac add' needs the argument 'port' (The port frames to the address leave by). Usage: mac add <mac> --vlan N --port name",
            "mac", "add", "02:00:00:00:00:0c", "--vlan", "10");
        await Refused("'mac del' takes 1 (mac); 'now' is one too many. Usage: mac del <mac> [--vlan N]", "mac", "del", "02:00:00:00:00:0c", "now");
        await Refused("mode 'hybrid' is not one of access, trunk", "port", "set", "host_a", "hybrid", "10");
        await Refused("an access port has one VLAN; '10,20' is a list (make the port a trunk: port set host_a trunk 10,20)", "port", "set", "host_a", "access", "10,20");
        await Refused("stage 'gen_a' (generator) is not part of a switch; the switches are 'forward' (by their l2_forwarder)", "--stage", "gen_a", "mac", "show");

        // A name without a value never reaches the graph: the command line refuses it.
        (int usage, _, string usageErr) = await CtlAsync("mac", "show", "--vlan");
        Assert.Equal(2, usage);
        Assert.Equal("flow: --vlan has no value; write --vlan <value> (see 'flow ctl help <command>')\n", usageErr);

        (int statsCode, string stats, _) = await CtlAsync("stats", "--json");
        Assert.Equal(0, statsCode);
        Assert.Contains("\"graph running;", stats);
        await StopAndCheckAsync(flow);
    }

    [Fact]
    public async Task SeveralSwitchesAreNamedAndStageChoosesOne()
    {
        using var graph = new TempGraph(TwoSwitches, "two.json");
        using FlowProcess flow = await RunAsync(graph);

        (int code, _, string stderr) = await CtlAsync("mac", "show");
        Assert.Equal(9, code);
        Assert.Equal("flow: this graph has 2 switches ('forward', 'sw2_forward', by their l2_forwarder); choose one with --stage <name>\n", stderr);

        (int chosen, string stdout, string chosenErr) = await CtlAsync("--stage", "sw2_learn", "port", "show");
        Assert.True(chosen == 0, chosenErr);
        Assert.EndsWith("switch 'sw2_forward': 3 ports\n", stdout);
        (int after, string afterOut, _) = await CtlAsync("port", "show", "--stage", "forward");
        Assert.Equal(0, after);
        Assert.EndsWith("switch 'forward': 3 ports\n", afterOut);
        await StopAndCheckAsync(flow);
    }

    [Fact]
    public async Task AGraphWithoutASwitchSaysSoAndStillAnswersStatsAndStages()
    {
        using var graph = new TempGraph("""
            { "workers": [{ "id": 0, "idle": "event" }],
              "stages": { "gen": { "type": "generator", "config": { "rate_pps": 100 } }, "sink": { "type": "null_sink" } },
              "edges": ["gen -> sink"] }
            """, "plain.json");
        using FlowProcess flow = await RunAsync(graph);

        // The switch's verbs come with its l2_forwarder: a graph without one does not offer them.
        (int code, _, string stderr) = await CtlAsync("mac", "show");
        Assert.Equal(9, code);
        Assert.Equal("flow: unknown command 'mac show'; this graph's commands are: capture show, capture start, capture stop, devices, help, reload, stages, stats, trace show, trace start, trace stop ('help' describes them)\n", stderr);

        (int stagesCode, string stages, _) = await CtlAsync("stages");
        Assert.Equal(0, stagesCode);
        Assert.Equal("""
            STAGE  TYPE       WORKER  OUTPUTS
            gen    generator  0       out -> sink
            sink   null_sink  0

            """, stages);
        (int helpCode, string help, _) = await CtlAsync("help");
        Assert.Equal(0, helpCode);
        Assert.Equal(["COMMAND", "capture show", "capture start", "capture stop", "devices", "help", "reload", "stages", "stats", "trace show", "trace start", "trace stop", "'help <command>' describes a command's arguments"],
            help.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split("  ")[0]));
        await StopAndCheckAsync(flow);
    }

    [Fact]
    public async Task ASecondRunOnALiveSocketIsRefusedAndCtlWithoutAGraphSaysSo()
    {
        (int none, _, string noneErr) = await CtlAsync("stats");
        Assert.Equal(8, none);
        Assert.Equal($"flow: cannot reach the control socket '{Socket}': it does not exist — is 'flow run' running?\n", noneErr);

        using var graph = new TempGraph(OneSwitch, "switch.json");
        using FlowProcess flow = await RunAsync(graph);
        (int second, _, string secondErr) = await FlowProcess.RunAsync(60, "run", graph.Path, "--control", Socket);
        Assert.Equal(8, second);
        Assert.Equal($"flow: --control: another running graph owns the control socket '{Socket}' (it answers there); " +
            "stop that one, or give this one another path with --control\n", secondErr);

        await StopAndCheckAsync(flow);
        Assert.False(File.Exists(Socket), "flow run left its control socket behind");
    }

    [Fact]
    public async Task WithoutControlCtlFindsTheOneRunningGraphAndAsksWhenThereAreSeveral()
    {
        // flow run's default socket folder is FLOW_CONTROL_DIR here (FlowProcess sets it), as /run/flow would be.
        using var one = new TempGraph(OneSwitch, "sw_one.json");
        using var two = new TempGraph(OneSwitch, "sw_two.json");
        using FlowProcess first = FlowProcess.Start("run", one.Path);
        using FlowProcess second = FlowProcess.Start("run", two.Path);
        string firstSocket = Path.Combine(FlowProcess.ControlDirectory, "sw_one.sock");
        await first.WaitForStderrAsync($"flow: control socket at {firstSocket}");
        await second.WaitForStderrAsync("flow: control socket at ");

        (int several, _, string severalErr) = await FlowProcess.RunAsync(60, "ctl", "port", "show");
        Assert.Equal(8, several);
        Assert.Equal("flow: 2 graphs are running (sw_one, sw_two); choose one with --control <name>\n", severalErr);
        (int named, string namedOut, string namedErr) = await FlowProcess.RunAsync(60, "ctl", "--control", "sw_two", "port", "show");
        Assert.True(named == 0, namedErr);
        Assert.EndsWith("switch 'forward': 3 ports\n", namedOut);

        await StopAndCheckAsync(second);
        (int alone, string aloneOut, string aloneErr) = await FlowProcess.RunAsync(60, "ctl", "stages");
        Assert.True(alone == 0, aloneErr);
        Assert.Contains("\nforward ", aloneOut);
        await StopAndCheckAsync(first);
        Assert.False(File.Exists(firstSocket), "flow run left its control socket behind");
    }

    [Fact]
    public async Task HelpExplainsTheLineWithExamplesAndTheGraphDescribesItsVerbs()
    {
        (int code, string stdout, _) = await FlowProcess.RunAsync(60, "ctl", "--help");
        Assert.Equal(0, code);
        Assert.Contains("flow ctl help mac add", stdout);
        Assert.Contains("flow ctl mac add 02:00:00:00:00:0a --vlan 10 --port host_b", stdout);
        Assert.Contains("9 the graph refused the command", stdout);
        foreach (string option in new[] { "--control", "--stage", "--json" })
        {
            Assert.Matches($@"\n  (-c, )?{option}\s", stdout);
        }

        using var graph = new TempGraph(OneSwitch, "switch.json");
        using FlowProcess flow = await RunAsync(graph);
        (int listCode, string list, string listErr) = await CtlAsync("help");
        Assert.True(listCode == 0, listErr);
        Assert.Contains("\nmac show ", list);
        Assert.Matches(@"\nport set +<port> <mode> \[<vlans>\] \[--vlan N\] \[--native N\] +Changes a port's VLAN mode", list);
        (int setCode, string set, string setErr) = await CtlAsync("help", "port", "set");
        Assert.True(setCode == 0, setErr);
        Assert.Contains("usage: port set <port> <mode> [<vlans>] [--vlan N] [--native N]\nserved by: 'forward'\n", set);
        Assert.Contains("\nmode      access|trunk  yes       access (one VLAN, untagged) or trunk", set);
        await StopAndCheckAsync(flow);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
