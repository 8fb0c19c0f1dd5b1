using System.Net.Sockets;
using System.Text;
using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Flow.Hosting.Tests.Control;

/// <summary>
/// A running graph's control socket, driven over the real Unix socket: the built-in commands,
/// commands contributed through DI, and hostile requests (none of which may stop the graph).
/// </summary>
public sealed class ControlEndpointRequestTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("flowctl-").FullName;

    private string SocketPath => Path.Combine(_directory, "g.sock");

    private static FlowGraph RunningGraph()
    {
        FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 2000 }))
            .Add("count", new Counter())
            .Add("sink", new NullSink())
            .Connect("gen", "count")
            .Connect("count", "sink")
            .Build();
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

    [Fact]
    public async Task StatsAndStagesAnswerOverTheSocketWhileTheGraphRuns()
    {
        await using FlowGraph graph = RunningGraph();
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse stages = await client.SendAsync("stages");
            Assert.True(stages.Ok, stages.Json);
            Assert.Equal(["gen", "count", "sink"], stages.Column("stage"));
            Assert.Equal(["generator", "counter", "null_sink"], stages.Column("type"));
            Assert.Equal("out -> count", stages.Column("outputs")[0]);

            ControlResponse stats = null!;
            await Waits.Until(async () =>
            {
                stats = await client.SendAsync("stats");
                Assert.True(stats.Ok, stats.Json);
                return long.Parse(stats.Column("consumed")[2]) != 0;
            }, "the sink to count a packet");
            Assert.StartsWith("graph running", stats.Message);

            ControlResponse help = await client.SendAsync("help");
            Assert.Equal(["capture show", "capture start", "capture stop", "devices", "help", "stages", "stats", "trace show", "trace start", "trace stop"], help.Column("command"));
        }
        Assert.False(File.Exists(SocketPath), "the socket file outlived its endpoint");
        await StopAndCheckAsync(graph);
    }

    [Fact]
    public async Task StatsListsRingsBetweenWorkers()
    {
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Worker(1, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Add("gen", new Generator(new GeneratorOptions { Count = 100 }), 0)
            .Add("sink", new NullSink(), 1)
            .Connect("gen", "sink")
            .Build();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph);
        await graph.RunAsync();

        ControlResponse stats = await ControlClient.SendAsync(SocketPath, "stats");

        Assert.True(stats.Ok, stats.Json);
        Assert.Equal(["gen", "sink", "ring gen:out->sink"], stats.Column("stage"));
        Assert.Equal(["100", "100", "100"], stats.Column("in"));
        Assert.StartsWith("graph stopped", stats.Message);
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task MalformedRequestsAndUnknownCommandsGetAnErrorReplyAndTheGraphKeepsRunning()
    {
        await using FlowGraph graph = RunningGraph();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph);
        await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);

        async Task<ControlResponse> Raw(string line) =>
            Flow.Hosting.Internal.ControlProtocol.ParseResponse(await client.SendLineAsync(Encoding.UTF8.GetBytes(line + "\n")));

        ControlResponse notJson = await Raw("mac show please");
        Assert.Equal(ControlErrors.BadRequest, notJson.Error);
        Assert.Contains("not JSON", notJson.Message);
        Assert.Equal(ControlErrors.BadRequest, (await Raw("[1, 2, 3]")).Error);
        ControlResponse noCommand = await Raw("{\"id\": 7}");
        Assert.Equal(ControlErrors.BadRequest, noCommand.Error);
        Assert.StartsWith("{\"id\":7,", noCommand.Json);
        Assert.Equal(ControlErrors.BadRequest, (await Raw("{\"command\": 5}")).Error);
        Assert.Equal(ControlErrors.BadRequest, (await Raw("{\"command\": \"stats\", \"args\": {\"x\": [1]}}")).Error);
        Assert.Equal(ControlErrors.BadRequest, (await Raw("{\"command\": \"stats\"")).Error);
        Assert.Equal(ControlErrors.BadRequest, (await Raw("\u0001\u00ff\u0000garbage")).Error);

        ControlResponse unknown = await client.SendAsync("stats please");
        Assert.Equal(ControlErrors.UnknownCommand, unknown.Error);
        Assert.Contains("unknown command 'stats please'", unknown.Message);
        ControlResponse badArgument = await client.SendAsync("stats", new Dictionary<string, string> { ["vlan"] = "10" });
        Assert.Equal(ControlErrors.Refused, badArgument.Error);
        Assert.Equal("'stats' has no argument 'vlan'; it takes none", badArgument.Message);

        // Words are matched whatever their case and spacing.
        Assert.True((await client.SendAsync("  STATS ")).Ok);

        // A line longer than the limit ends that connection with a reply; the endpoint goes on.
        string tooLong = await client.SendLineAsync(new byte[ControlEndpoint.MaxRequestBytes + 10]);
        Assert.Contains("longer than", tooLong);
        await using ControlClient second = await ControlClient.ConnectAsync(endpoint.Path);
        Assert.True((await second.SendAsync("stats")).Ok);

        // A client that hangs up mid-request does not disturb the endpoint either.
        using (var rude = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await rude.ConnectAsync(new UnixDomainSocketEndPoint(endpoint.Path));
            await rude.SendAsync(Encoding.UTF8.GetBytes("{\"command\": \"sta"));
        }
        Assert.True((await second.SendAsync("stages")).Ok);
        await StopAndCheckAsync(graph);
    }

    [Fact]
    public async Task ARequestWithoutATrailingNewlineIsAnsweredBeforeTheConnectionCloses()
    {
        await using FlowGraph graph = RunningGraph();
        await using ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(endpoint.Path));
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"id\": \"a\", \"command\": \"help\"}"));
        using var reader = new StreamReader(new NetworkStream(socket));
        socket.Shutdown(SocketShutdown.Send);
        string? reply = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(reply);
        Assert.StartsWith("{\"id\":\"a\",\"ok\":true", reply);
        await StopAndCheckAsync(graph);
    }

    [Fact]
    public async Task CommandsRegisteredInDiRunOnTheStagesWorkerThroughTheHostedServicesSocket()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IControlCommand, CounterReadCommand>();
        builder.Services.AddSingleton<IControlCommand, BrokenCommand>();
        builder.Services.AddFlowGraph(_ => new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 2000 }))
            .Add("count", new Counter())
            .Add("sink", new NullSink())
            .Connect("gen", "count")
            .Connect("count", "sink"), options =>
            {
                options.Name = "ctl";
                options.ControlSocket = SocketPath;
            });
        using IHost host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        FlowHostedService service = host.Services.GetRequiredKeyedService<FlowHostedService>("ctl");
        Assert.Equal(SocketPath, service.Control!.Path);

        ControlResponse read = await ControlClient.SendAsync(SocketPath, "counter read", stage: "count");
        Assert.True(read.Ok, read.Json);
        Assert.Equal("flow-worker-0", read.Column("thread")[0]);

        ControlResponse refused = await ControlClient.SendAsync(SocketPath, "counter read", stage: "gen");
        Assert.Equal(ControlErrors.Refused, refused.Error);
        Assert.Equal("stage 'gen' is a Generator, not a counter", refused.Message);

        ControlResponse failed = await ControlClient.SendAsync(SocketPath, "broken");
        Assert.Equal(ControlErrors.Failed, failed.Error);
        Assert.Equal("'broken' failed: InvalidOperationException: a bug", failed.Message);
        Assert.Equal(GraphState.Running, service.Graph!.State);
        Assert.True((await ControlClient.SendAsync(SocketPath, "counter read", stage: "count")).Ok);

        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(File.Exists(SocketPath), "the hosted service left its socket behind");
        Assert.True(service.Graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task TwoCommandsWithOneNameAreRefusedAtStart()
    {
        await using FlowGraph graph = RunningGraph();
        var e = Assert.Throws<InvalidOperationException>(() => ControlEndpoint.Start(SocketPath, graph, [new CounterReadCommand(), new CounterReadCommand()]));
        Assert.Contains("two control commands are named 'counter read'", e.Message);
        Assert.False(File.Exists(SocketPath));
        await StopAndCheckAsync(graph);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Reads the counter through its mailbox and says which thread ran the read.</summary>
    private sealed class CounterReadCommand : IControlCommand
    {
        public string Name => "counter read";

        public string Help => "Reads a counter stage's packets on its worker.";

        public IReadOnlyList<ControlArgument> Arguments => [];

        public async Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken)
        {
            string stage = request.Stage ?? throw new ControlCommandException("name the counter with --stage");
            StageInfo info = request.Graph.Stages.FirstOrDefault(s => s.Name == stage) ?? throw new ControlCommandException($"no stage '{stage}'");
            if (info.Stage is not Counter)
            {
                throw new ControlCommandException($"stage '{stage}' is a {info.Stage.GetType().Name}, not a counter");
            }
            (long packets, string thread) = await request.Graph.InvokeAsync<Counter, (long, string)>(stage, c => (c.Packets, Thread.CurrentThread.Name ?? "?"));
            return ControlReply.Table(["packets", "thread"], [[packets.ToString(System.Globalization.CultureInfo.InvariantCulture), thread]]);
        }
    }

    private sealed class BrokenCommand : IControlCommand
    {
        public string Name => "broken";

        public string Help => "Throws, as a buggy command would.";

        public IReadOnlyList<ControlArgument> Arguments => [];

        public Task<ControlReply> ExecuteAsync(ControlRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a bug");
    }
}
