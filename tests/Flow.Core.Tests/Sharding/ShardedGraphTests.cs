using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests;

/// <summary><see cref="GraphBuilder.Shards"/>: copies of a graph, one per shard, on workers of their own, nothing shared between them.</summary>
public sealed class ShardedGraphTests
{
    /// <summary>A stage whose copies on other shards send everything to shard 0's copy, which counts what came to it on its own worker.</summary>
    [Stage("writer_funnel", "Test stage: shard 0's copy passes, the others hand everything to it.")]
    private sealed class WriterFunnel : Stage<WriterFunnel.Output, NoDrop>, IShardedStage
    {
        private readonly bool _reader;
        private int _thread;

        public WriterFunnel(bool reader = false)
        {
            _reader = reader;
            NamePorts(Output.Out, reader ? ["out", IShardedStage.WriterPort] : ["out"]);
        }

        public enum Output : byte
        {
            [Port(typeof(Carries.Any), "what this copy passes")]
            Out,
        }

        /// <summary>Threads shard 0's copy ran on: 1, its worker's.</summary>
        public int Threads { get; private set; }

        public Stage CopyForShard(int shard, int count) => new WriterFunnel(reader: true);

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            if (!_reader && _thread != Environment.CurrentManagedThreadId)
            {
                _thread = Environment.CurrentManagedThreadId;
                Threads++;
            }
            nexts.Slice(0, packets.Length).Fill(Next.ToPort(_reader ? 1 : 0));
        }
    }

    [Fact]
    public async Task ACopysWriterPortIsConnectedToShardZerosCopy()
    {
        WriterFunnel? writer = null;
        using FlowGraph graph = new GraphBuilder()
            .Shards(2, shard => shard
                .Worker(0, idle: IdlePolicy.Yielding)
                .Add("gen", new Generator(new GeneratorOptions { Count = 1000 }))
                .Add("funnel", shard.Shard == 0 ? writer = new WriterFunnel() : writer!.CopyForShard(shard.Shard, shard.Count))
                .Add("sink", new NullSink())
                .Connect("gen", "funnel")
                .Connect("funnel:out", "sink"))
            .Build();

        Assert.Contains(graph.Edges, e => (e.From, e.Port, e.To) == ("funnel@1", IShardedStage.WriterPort, "funnel@0"));
        graph.Start();
        await Waits.Until(() => graph.GetStats().Summed("sink").Consumed == 2000, () => "both generators' packets at shard 0's sink: " + string.Join("; ", graph.GetStats().Stages));
        await graph.StopAsync(drain: true);
        GraphStats stats = graph.GetStats();
        Assert.Equal((2000L, 0L), (stats.Stage("sink@0").Consumed, stats.Stage("sink@1").Consumed));
        Assert.Equal(1000, stats.Stage("funnel@1").OutOn(IShardedStage.WriterPort));
        Assert.Equal(1, writer!.Threads);
        Assert.True(stats.IsBalanced);
    }

    [Fact]
    public async Task EachShardRunsItsCopyOnItsOwnWorkersAndTheStatsSumOverShards()
    {
        using FlowGraph graph = new GraphBuilder()
            .Shards(2, shard => shard
                .Worker(0, idle: IdlePolicy.Yielding)
                .Worker(1, idle: IdlePolicy.Yielding)
                .Add("gen", new Generator(new GeneratorOptions { Count = 1000 * (shard.Shard + 1) }))
                .Add("count", new Counter(), worker: 1)
                .Add("sink", new NullSink(), worker: 1)
                .Connect("gen", "count", backPressure: true)
                .Connect("count:out", "sink"), workersPerShard: 2)
            .Build();

        Assert.Equal(
            ["count@0 1", "count@1 3", "gen@0 0", "gen@1 2", "sink@0 1", "sink@1 3"],
            graph.Stages.Select(s => $"{s.Name} {s.Worker}").Order(StringComparer.Ordinal));
        // Each shard's generator feeds its own counter through a ring of its own.
        Assert.Equal(["gen@0:out -> count@0", "gen@1:out -> count@1"],
            graph.Edges.Where(e => e.From.StartsWith("gen", StringComparison.Ordinal)).Select(e => $"{e.From}:{e.Port} -> {e.To}").Order(StringComparer.Ordinal));

        graph.Start();
        await Waits.Until(() => graph.GetStats().Summed("sink").Consumed == 3000,
            () => "both shards' generators to finish: " + string.Join("; ", graph.GetStats().Stages));
        await graph.StopAsync(drain: true);
        GraphStats stats = graph.GetStats();
        Assert.Equal((1000L, 2000L), (stats.Stage("count@0").In, stats.Stage("count@1").In));
        StageStats summed = stats.Summed("count");
        Assert.Equal(("count", 3000L, 3000L), (summed.Name, summed.In, summed.OutOn("out")));
        Assert.True(summed.IsBalanced);
    }

    [Fact]
    public void AShardWorkerOutsideTheShardIsRefused()
    {
        var builder = new GraphBuilder();
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Shards(2, shard => shard.Add("sink", new NullSink(), worker: 1)));
    }

    [Theory]
    [InlineData("rx@3", "rx", 3)]
    [InlineData("rx", "rx", null)]
    [InlineData("a@b", "a@b", null)]
    [InlineData("@1", "@1", null)]
    public void ShardNamesSplitIntoTheDeclaredNameAndTheShard(string stageName, string name, int? shard)
    {
        Assert.Equal((name, shard), ShardNames.Split(stageName));
        Assert.True(ShardNames.Matches(stageName, name));
    }

    [Fact]
    public void TheDistributorsHashIsTheSameForBothDirectionsAndSpreadsFlows()
    {
        var random = new Random(7);
        var counts = new int[4];
        for (int i = 0; i < 4000; i++)
        {
            byte[] addresses = new byte[8];
            random.NextBytes(addresses);
            ushort sourcePort = (ushort)random.Next(1024, 65536);
            ushort destinationPort = (ushort)random.Next(1, 1024);
            byte protocol = random.Next(2) == 0 ? (byte)6 : (byte)17;
            byte[] forward = Frame(addresses.AsSpan(0, 4), addresses.AsSpan(4, 4), protocol, sourcePort, destinationPort, tagged: i % 3 == 0);
            byte[] reply = Frame(addresses.AsSpan(4, 4), addresses.AsSpan(0, 4), protocol, destinationPort, sourcePort, tagged: i % 3 == 0);
            uint hash = ShardDistributor.FlowHash(forward);
            Assert.Equal(hash, ShardDistributor.FlowHash(reply));
            counts[hash % 4]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
        Assert.Equal(0u, ShardDistributor.FlowHash(new byte[10]));
    }

    /// <summary>An Ethernet (optionally 802.1Q-tagged) IPv4 frame with a TCP or UDP header's ports.</summary>
    private static byte[] Frame(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, ushort sourcePort, ushort destinationPort, bool tagged)
    {
        int l3 = tagged ? 18 : 14;
        byte[] frame = new byte[l3 + 28];
        if (tagged)
        {
            frame[12] = 0x81;
            frame[16] = 0x08;
        }
        else
        {
            frame[12] = 0x08;
        }
        frame[l3] = 0x45;
        frame[l3 + 9] = protocol;
        source.CopyTo(frame.AsSpan(l3 + 12));
        destination.CopyTo(frame.AsSpan(l3 + 16));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l3 + 20), sourcePort);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l3 + 22), destinationPort);
        return frame;
    }
}
