using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Hosting.Tests;

public sealed class ChannelBridgeTests
{
    private static FlowGraph Load(ServiceProvider services, string json) =>
        services.GetRequiredService<GraphFileLoader>().LoadText(json, "bridge.json");

    [Fact]
    public async Task SinkHandsACopyOfEveryPacketToTheChannelReader()
    {
        await using ServiceProvider services = TestServices.Create();
        ChannelReader<PacketRecord> reader = services.GetRequiredService<FlowChannels>().Reader("taps");
        await using FlowGraph graph = Load(services, """
            { "stages": {
                "gen": { "type": "generator", "config": { "count": 500, "frame_size": 80, "sequence_offset": 42 } },
                "taps": { "type": "channel_sink", "config": { "channel": "taps", "capacity": 1000, "snap_length": 50 } } },
              "edges": ["gen -> taps"] }
            """);
        Task<List<PacketRecord>> reading = ReadAllAsync(reader);
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
        List<PacketRecord> records = await reading.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(500, records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            Assert.Equal((ulong)i, records[i].Sequence);
            Assert.Equal(50, records[i].Data.Length);
            Assert.Equal(80, records[i].OriginalLength);
        }
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(500, stats.Stage("taps").Consumed);
        Assert.Equal(0, stats.Stage("taps").DroppedFor("consumer_slow"));
    }

    [Fact]
    public async Task SinkDropsWithConsumerSlowWhenNobodyReads()
    {
        await using ServiceProvider services = TestServices.Create();
        await using FlowGraph graph = Load(services, """
            { "stages": {
                "gen": { "type": "generator", "config": { "count": 100 } },
                "taps": { "type": "channel_sink", "config": { "channel": "unread", "capacity": 16 } } },
              "edges": ["gen -> taps"] }
            """);
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(16, stats.Stage("taps").Consumed);
        Assert.Equal(84, stats.Stage("taps").DroppedFor("consumer_slow"));
        Assert.Equal(16, services.GetRequiredService<FlowChannels>().Reader("unread").Count);
    }

    [Fact]
    public async Task SinkFeedsADataflowSourceBlock()
    {
        await using ServiceProvider services = TestServices.Create();
        ISourceBlock<PacketRecord> block = services.GetRequiredService<FlowChannels>().SourceBlock("flow", boundedCapacity: 64);
        var received = new List<PacketRecord>();
        var consumer = new ActionBlock<PacketRecord>(received.Add);
        block.LinkTo(consumer, new DataflowLinkOptions { PropagateCompletion = true });
        await using FlowGraph graph = Load(services, """
            { "stages": {
                "gen": { "type": "generator", "config": { "count": 300, "rate_pps": 100000 } },
                "taps": { "type": "channel_sink", "config": { "channel": "flow", "capacity": 4096 } } },
              "edges": ["gen -> taps"] }
            """);
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await consumer.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(300, received.Count);
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task SourceInjectsFramesWrittenToTheChannelWriterAndEndsWhenCompleted()
    {
        await using ServiceProvider services = TestServices.Create();
        ChannelWriter<byte[]> writer = services.GetRequiredService<FlowChannels>().Writer("inject");
        await using FlowGraph graph = Load(services, """
            { "workers": [{ "id": 0, "idle": "spin_then_sleep" }],
              "stages": {
                "app": { "type": "channel_source", "config": { "channel": "inject", "capacity": 8, "input_port": 3 } },
                "count": { "type": "counter" },
                "sink": { "type": "null_sink" } },
              "edges": ["app -> count", "count -> sink"] }
            """);
        Task run = graph.RunAsync();
        for (int i = 0; i < 200; i++)
        {
            await writer.WriteAsync(new byte[60 + (i % 10)]).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        await writer.WriteAsync(new byte[4000]).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        writer.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(200, stats.Stage("sink").Consumed);
        Assert.Equal(1, stats.Stage("app").DroppedFor("too_long"));
        Assert.Equal(200 * 60 + 20 * 45, graph.GetStage<Counter>("count").Bytes);
    }

    [Fact]
    public async Task SourceIsFedByADataflowTargetBlock()
    {
        await using ServiceProvider services = TestServices.Create();
        ITargetBlock<byte[]> target = services.GetRequiredService<FlowChannels>().TargetBlock("blocks");
        await using FlowGraph graph = Load(services, """
            { "workers": [{ "id": 0, "idle": "spin_then_sleep" }],
              "stages": {
                "app": { "type": "channel_source", "config": { "channel": "blocks", "capacity": 4 } },
                "sink": { "type": "null_sink" } },
              "edges": ["app -> sink"] }
            """);
        Task run = graph.RunAsync();
        for (int i = 0; i < 100; i++)
        {
            Assert.True(await target.SendAsync(new byte[64]).WaitAsync(TimeSpan.FromSeconds(30)));
        }
        target.Complete();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(100, stats.Stage("sink").Consumed);
    }

    [Fact]
    public async Task SourceDropsWithPoolEmptyWhenItsFramesAreAllInFlight()
    {
        var channels = new FlowChannels();
        ChannelWriter<byte[]> writer = channels.Writer("burst");
        for (int i = 0; i < 100; i++)
        {
            Assert.True(writer.TryWrite(new byte[64]));
        }
        writer.Complete();
        var source = new ChannelSource(new ChannelSourceOptions { Channel = "burst", Capacity = 1000, PoolFrames = 64 }, channels);
        await using FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.SpinThenSleep())
            .Add("app", source)
            .Add("hold", new Hoarder())
            .Connect("app", "hold")
            .Build();

        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(64, stats.Stage("hold").Consumed);
        Assert.Equal(36, stats.Stage("app").DroppedFor("pool_empty"));
    }

    private static async Task<List<PacketRecord>> ReadAllAsync(ChannelReader<PacketRecord> reader)
    {
        var records = new List<PacketRecord>();
        await foreach (PacketRecord record in reader.ReadAllAsync())
        {
            records.Add(record);
        }
        return records;
    }
}
