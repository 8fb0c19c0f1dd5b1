using System.Diagnostics;
using Xunit;

namespace Flow.Hosting.Tests.Control;

/// <summary>
/// <c>trace start|show|stop</c> over the real control socket: packets picked where they enter,
/// followed stage by stage to where they leave, are dropped or sent.
/// </summary>
/// <remarks>
/// <code>
///   gen (UDP 10.0.0.1 > 10.0.0.2) ─ split (by parity: even → sink, odd → drop)
/// </code>
/// </remarks>
public sealed class TraceControlTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private readonly string _directory = Directory.CreateTempSubdirectory("flowtrace-").FullName;

    private string SocketPath => Path.Combine(_directory, "g.sock");

    [Fact]
    public async Task TraceFollowsEachPickedPacketStageByStageToWhereItEnds()
    {
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 2000 }))
            .Add("count", new Counter())
            .Add("sink", new NullSink())
            .Connect("gen", "count").Connect("count", "sink")
            .Build();
        graph.Start();
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse start = await client.SendWordsAsync(["trace", "start"], new Dictionary<string, string> { ["count"] = "3", ["filter"] = "udp port 1024" });
            Assert.True(start.Ok, start.Json);
            Assert.Equal("tracing 3 packets, picked where they enter the graph (its sources), filter 'udp port 1024'; 'trace show' lists them", start.Message);
            ControlResponse show = null!;
            var clock = Stopwatch.StartNew();
            do
            {
                Assert.True(clock.Elapsed < Limit, $"3 packets were not traced in time: {show?.Json}");
                await Task.Delay(20);
                show = await client.SendWordsAsync(["trace", "show"]);
            }
            while (show.Rows.Count < 9);
            Assert.True((await client.SendWordsAsync(["trace", "stop"])).Ok);
            show = await client.SendWordsAsync(["trace", "show"]);
            Assert.StartsWith("trace stopped: 3 of 3 packets picked, 9 steps", show.Message);
            Assert.Equal(["1", "1", "1", "2", "2", "2", "3", "3", "3"], show.Column("packet"));
            Assert.Equal(["gen", "count", "sink", "gen", "count", "sink", "gen", "count", "sink"], show.Column("stage"));
            Assert.Equal(["out", "out", "consumed"], show.Column("result").Take(3));
            Assert.All(show.Column("worker"), w => Assert.Equal("0", w));
            const string Udp = "02:00:00:00:00:01 > 02:00:00:00:00:02 IPv4 10.0.0.1 > 10.0.0.2 ttl 64 UDP 1024 > 1024";
            Assert.Equal(["", Udp, Udp], show.Column("entry").Take(3));
            Assert.Equal([Udp, Udp, ""], show.Column("exit").Take(3));
            double[] times = show.Column("time_us").Take(3).Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.True(times[0] <= times[1] && times[1] <= times[2], string.Join(", ", times));
            Assert.Equal("no trace is running", (await client.SendWordsAsync(["trace", "stop"])).Message);
        }
        await graph.StopAsync(drain: true).WaitAsync(Limit);
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task InAShardedGraphEachStepSaysItsShard()
    {
        await using FlowGraph graph = new GraphBuilder()
            .Shards(2, shard => shard.Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
                .Add("gen", new Generator(new GeneratorOptions { RatePps = 2000 }))
                .Add("sink", new NullSink())
                .Connect("gen", "sink"))
            .Build();
        graph.Start();
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            Assert.True((await client.SendWordsAsync(["trace", "start"], new Dictionary<string, string> { ["count"] = "20" })).Ok);
            ControlResponse show = null!;
            var clock = Stopwatch.StartNew();
            do
            {
                Assert.True(clock.Elapsed < Limit, $"20 packets were not traced in time: {show?.Json}");
                await Task.Delay(20);
                show = await client.SendWordsAsync(["trace", "show"]);
            }
            while (show.Rows.Count < 40);
            var steps = show.Column("stage").Zip(show.Column("shard"), show.Column("worker")).ToList();
            Assert.All(steps, step => Assert.EndsWith("@" + step.Second, step.First, StringComparison.Ordinal));
            Assert.All(steps, step => Assert.Equal(step.Second, step.Third)); // one worker per shard here: worker s runs shard s
            Assert.Contains(steps, step => step.Second == "0");
            Assert.Contains(steps, step => step.Second == "1");
        }
        await graph.StopAsync(drain: true).WaitAsync(Limit);
    }

    [Fact]
    public async Task TraceAtANamedStageRecordsItsDropsWithTheReason()
    {
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Event(TimeSpan.FromMilliseconds(5)))
            .Add("gen", new Generator(new GeneratorOptions { RatePps = 2000 }))
            .Add("drop", new Dropper())
            .Connect("gen", "drop")
            .Build();
        graph.Start();
        await using (ControlEndpoint endpoint = ControlEndpoint.Start(SocketPath, graph))
        {
            await using ControlClient client = await ControlClient.ConnectAsync(endpoint.Path);
            ControlResponse start = await client.SendWordsAsync(["trace", "start"], new Dictionary<string, string> { ["count"] = "2" }, stage: "drop");
            Assert.True(start.Ok, start.Json);
            Assert.StartsWith("tracing 2 packets, picked where they enter 'drop'", start.Message);
            ControlResponse show = null!;
            var clock = Stopwatch.StartNew();
            do
            {
                Assert.True(clock.Elapsed < Limit, $"2 packets were not traced in time: {show?.Json}");
                await Task.Delay(20);
                show = await client.SendWordsAsync(["trace", "show"]);
            }
            while (show.Rows.Count < 2);
            Assert.Equal(["drop", "drop"], show.Column("stage"));
            Assert.Equal(["drop: dropped", "drop: dropped"], show.Column("result"));
            ControlResponse refused = await client.SendWordsAsync(["trace", "start"], new Dictionary<string, string> { ["filter"] = "port x" });
            Assert.False(refused.Ok);
            Assert.Equal("filter: port 'x' is not a number from 0 to 65535", refused.Message);
        }
        await graph.StopAsync(drain: true).WaitAsync(Limit);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
