using Flow.TestKit;
using Xunit;

namespace Flow.Hosting.Tests.Control;

/// <summary>
/// Verbs a stage declares (<see cref="IControlledStage"/>), served over a real control socket:
/// words resolved to a command with the rest mapped to its positional arguments, arguments
/// checked against the declaration, <c>help</c> built from what the running graph offers, and
/// <c>--stage</c> choosing among stages of one type.
/// <code>
///  gen ─ r1 (test_routes) [─ r2 (test_routes)] ─ sink
/// </code>
/// </summary>
public sealed class ControlEndpointStageVerbTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowctl-").FullName;

    private string SocketPath => Path.Combine(_directory, "g.sock");

    private static FlowGraph RunningGraph(int routeStages)
    {
        var builder = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 2000 }))
            .Add("sink", new NullSink());
        string previous = "gen";
        for (int i = 1; i <= routeStages; i++)
        {
            builder.Add($"r{i}", new RouteTableStage()).Connect(previous, $"r{i}");
            previous = $"r{i}";
        }
        FlowGraph graph = builder.Connect(previous, "sink").Build();
        graph.Start();
        return graph;
    }

    private static async Task StopAndCheckAsync(FlowGraph graph)
    {
        Assert.Equal(GraphState.Running, graph.State);
        await graph.StopAsync(drain: true).WaitAsync(TimeSpan.FromSeconds(30));
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
    }

    private static Dictionary<string, string> Args(params (string Name, string Value)[] pairs) => pairs.ToDictionary(p => p.Name, p => p.Value);

    [Fact]
    public async Task WordsNameTheVerbAndTheWordsAfterItFillItsPositionalArguments()
    {
        await using FlowGraph graph = RunningGraph(1);
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);

            ControlResponse added = await client.SendWordsAsync(["route", "add", "10.0.0.0/8"], Args(("via", "192.0.2.1"), ("metric", "5")));
            Assert.True(added.Ok, added.Json);
            Assert.Equal("r1: 10.0.0.0/8 via 192.0.2.1 metric 5 (on flow-worker-0)", added.Message);

            // Case of the command's words does not matter; the positional's does, and it is kept as typed.
            Assert.True((await client.SendWordsAsync(["ROUTE", "Add", "192.168.0.0/16"], Args(("via", "gw")))).Ok);
            // The exact-name form still works: every argument by name.
            Assert.True((await client.SendAsync("route add", Args(("prefix", "172.16.0.0/12"), ("via", "192.0.2.2")))).Ok);

            ControlResponse shown = await client.SendWordsAsync(["route", "show"]);
            Assert.True(shown.Ok, shown.Json);
            Assert.Equal(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], shown.Column("prefix"));
            Assert.Equal(["5", "0", "0"], shown.Column("metric"));

            Assert.True((await client.SendWordsAsync(["route", "del", "172.16.0.0/12"])).Ok);
            ControlResponse missing = await client.SendWordsAsync(["route", "del", "172.16.0.0/12"]);
            Assert.Equal((ControlErrors.Refused, "no route to 172.16.0.0/12"), (missing.Error, missing.Message));
            Assert.Equal(2, (await client.SendWordsAsync(["route", "show"])).Rows.Count);
        }
        await StopAndCheckAsync(graph);
    }

    [Theory]
    [InlineData("route add", "via=gw", "'route add' needs the argument 'prefix' (The destination prefix). Usage: route add <prefix> --via ip [--metric N]")]
    [InlineData("route add 10.0.0.0/8", "", "'route add' needs the argument 'via' (The next hop's address). Usage: route add <prefix> --via ip [--metric N]")]
    [InlineData("route add 10.0.0.0/33", "via=gw", "prefix '10.0.0.0/33' is not an IPv4 prefix such as 10.0.0.0/8")]
    [InlineData("route add 10.0.0.0/8", "via=gw metric=256", "metric 256 is out of range 0 to 255")]
    [InlineData("route add 10.0.0.0/8", "via=gw metric=low", "metric 'low' is not a number")]
    [InlineData("route add 10.0.0.0/8", "via=gw colour=red", "'route add' has no argument 'colour'; it takes prefix, via, metric")]
    [InlineData("route add 10.0.0.0/8 extra", "via=gw", "'route add' takes 1 (prefix); 'extra' is one too many. Usage: route add <prefix> --via ip [--metric N]")]
    [InlineData("route add 10.0.0.0/8", "via=gw prefix=10.0.0.0/16", "'route add': 'prefix' is given twice, as '10.0.0.0/8' by position and as --prefix 10.0.0.0/16")]
    [InlineData("route show everything", "", "'route show' takes no positional arguments; 'everything' is one too many. Usage: route show")]
    public async Task ArgumentsAreCheckedAgainstTheDeclarationBeforeTheVerbRuns(string words, string named, string expected)
    {
        await using FlowGraph graph = RunningGraph(1);
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            Dictionary<string, string> arguments = named.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(p => p.Split('=')[0], p => p.Split('=')[1]);
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse refused = await client.SendWordsAsync(words.Split(' '), arguments);
            Assert.Equal((ControlErrors.Refused, expected), (refused.Error, refused.Message));
            Assert.Empty((await client.SendWordsAsync(["route", "show"])).Rows);
        }
        await StopAndCheckAsync(graph);
    }

    [Fact]
    public async Task AnUnknownVerbIsAnsweredWithTheNearestAndTheCommandsSharingItsFirstWord()
    {
        await using FlowGraph graph = RunningGraph(1);
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse typo = await client.SendWordsAsync(["route", "ad", "10.0.0.0/8"]);
            Assert.Equal((ControlErrors.UnknownCommand, "unknown command 'route ad'; did you mean 'route add'? 'route' commands are: route add, route del, route show"),
                (typo.Error, typo.Message));
            ControlResponse stat = await client.SendWordsAsync(["stat"]);
            Assert.Equal("unknown command 'stat'; did you mean 'stats'? this graph's commands are: capture show, capture start, capture stop, devices, help, route add, route del, route show, stages, stats, trace show, trace start, trace stop ('help' describes them)",
                stat.Message);
            ControlResponse far = await client.SendWordsAsync(["arp", "show"]);
            Assert.Equal("unknown command 'arp show'; this graph's commands are: capture show, capture start, capture stop, devices, help, route add, route del, route show, stages, stats, trace show, trace start, trace stop ('help' describes them)", far.Message);
        }
        await StopAndCheckAsync(graph);
    }

    [Fact]
    public async Task HelpListsWhatTheRunningGraphOffersAndDescribesOneVerb()
    {
        await using FlowGraph graph = RunningGraph(1);
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse help = await client.SendWordsAsync(["help"]);
            Assert.Equal(["capture show", "capture start", "capture stop", "devices", "help", "route add", "route del", "route show", "stages", "stats", "trace show", "trace start", "trace stop"], help.Column("command"));
            Assert.Equal("<prefix> --via ip [--metric N]", help.Column("arguments")[5]);
            Assert.Equal("[<command...>]", help.Column("arguments")[4]);

            ControlResponse add = await client.SendWordsAsync(["help", "route", "add"]);
            Assert.True(add.Ok, add.Json);
            Assert.Equal(["prefix", "--via", "--metric"], add.Column("argument"));
            Assert.Equal(["a.b.c.d/len", "ip", "N"], add.Column("value"));
            Assert.Equal(["yes", "yes", "no"], add.Column("required"));
            Assert.Equal("Adds a route: packets to the prefix go via the next hop.\nusage: route add <prefix> --via ip [--metric N]\nserved by: 'r1'", add.Message);

            ControlResponse route = await client.SendWordsAsync(["help", "route"]);
            Assert.Equal(["route add", "route del", "route show"], route.Column("command"));

            ControlResponse stats = await client.SendWordsAsync(["help", "stats"]);
            Assert.Empty(stats.Rows);
            Assert.EndsWith("usage: stats\nserved by: the graph", stats.Message);

            ControlResponse unknown = await client.SendWordsAsync(["help", "route", "flush"]);
            Assert.Equal((ControlErrors.Refused, "unknown command 'route flush'; 'route' commands are: route add, route del, route show"), (unknown.Error, unknown.Message));
        }
        await StopAndCheckAsync(graph);
    }

    [Fact]
    public async Task StagesOfOneTypeShareTheirVerbsAndStageChoosesOne()
    {
        await using FlowGraph graph = RunningGraph(2);
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse ambiguous = await client.SendWordsAsync(["route", "show"]);
            Assert.Equal((ControlErrors.Refused, "2 stages serve 'route show' ('r1', 'r2'); choose one with --stage <name>"), (ambiguous.Error, ambiguous.Message));

            Assert.True((await client.SendWordsAsync(["route", "add", "10.0.0.0/8"], Args(("via", "gw")), stage: "r2")).Ok);
            Assert.Empty((await client.SendWordsAsync(["route", "show"], stage: "r1")).Rows);
            Assert.Equal(["10.0.0.0/8"], (await client.SendWordsAsync(["route", "show"], stage: "r2")).Column("prefix"));

            ControlResponse wrong = await client.SendWordsAsync(["route", "show"], stage: "gen");
            Assert.Equal("stage 'gen' does not serve 'route show'; the stages that do are 'r1', 'r2'", wrong.Message);
            ControlResponse help = await client.SendWordsAsync(["help", "route", "show"]);
            Assert.EndsWith("served by: 'r1', 'r2' (choose one with --stage <name>)", help.Message);
        }
        await StopAndCheckAsync(graph);
    }

    [Fact]
    public async Task AGraphWithoutTheStageDoesNotOfferItsVerbs()
    {
        await using FlowGraph graph = RunningGraph(0);
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            Assert.Equal(["capture show", "capture start", "capture stop", "devices", "help", "stages", "stats", "trace show", "trace start", "trace stop"], (await client.SendWordsAsync(["help"])).Column("command"));
            ControlResponse route = await client.SendWordsAsync(["route", "show"]);
            Assert.Equal(ControlErrors.UnknownCommand, route.Error);
        }
        await StopAndCheckAsync(graph);
    }

    [Fact]
    public async Task ClashingOrMalformedDeclarationsAreRefusedAtStart()
    {
        await using FlowGraph graph = RunningGraph(1);
        var clash = Assert.Throws<InvalidOperationException>(() => ControlEndpoint.Start(SocketPath, graph, [new Declared("route show", [])]));
        Assert.Contains("two control commands are named 'route show'", clash.Message);

        var malformed = Assert.Throws<InvalidOperationException>(() => ControlEndpoint.Start(SocketPath, graph,
        [
            new Declared("odd one", [new("Vlan", "x"), new("rest", "y") { Positional = true, Rest = true }, new("last", "z") { Positional = true }]),
            new Declared("twice", [new("a", "x"), new("a", "y")]),
        ]));
        Assert.Contains("control command 'odd one' (", malformed.Message);
        Assert.Contains("argument 'Vlan' is not lower_snake", malformed.Message);
        Assert.Contains("argument 'rest' takes the rest of the words, so it must be the last positional", malformed.Message);
        Assert.Contains("argument 'a' is declared twice", malformed.Message);
        Assert.False(File.Exists(SocketPath));
        await StopAndCheckAsync(graph);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private sealed class Declared(string name, IReadOnlyList<ControlArgument> arguments) : IControlCommand
    {
        public string Name => name;

        public string Help => "A declaration under test.";

        public IReadOnlyList<ControlArgument> Arguments => arguments;

        public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken) => Task.FromResult(ControlReply.Text("ran"));
    }
}
