using Flow.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Backends.Loop.Tests;

[Collection(nameof(LoopCollection))]
public class LoopWireTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TwoGraphsJoinedByAWireDeliverEveryTaggedPacketOnceAndInOrder()
    {
        using var wire = new LoopWire("two-graphs", capacity: 16384);
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 5, Count = 10_000 });
        var capture = new CaptureSink();
        using FlowGraph sender = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("source", source).Add("tx", new LoopTx(wire.A)).Connect("source", "tx").Build();
        using FlowGraph receiver = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("rx", new LoopRx(wire.B)).Add("sink", capture).Connect("rx", "sink").Build();

        receiver.Start();
        await sender.RunAsync().WaitAsync(Limit);
        await Waits.Until(() => capture.Count == 10_000, "10000 packets at end b", Limit);
        await receiver.StopAsync().WaitAsync(Limit);

        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [5] = 10_000 });
        Assert.True(sender.GetStats().IsBalanced);
        Assert.True(receiver.GetStats().IsBalanced);
        Assert.Equal(10_000, sender.GetStats().Stage("tx").Consumed);
        Assert.Equal(10_000, receiver.GetStats().Stage("rx").OutOn("out"));
        Assert.Equal(0, source.Pool.Outstanding);
    }

    [Fact]
    public async Task BothDirectionsOfOneWireWorkInsideOneGraph()
    {
        using var wire = new LoopWire("both", capacity: 8192);
        var atB = new CaptureSink();
        var atA = new CaptureSink();
        using FlowGraph graph = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("s1", new TaggedSource(new TaggedSourceOptions { SourceId = 1, Count = 3000 }))
            .Add("s2", new TaggedSource(new TaggedSourceOptions { SourceId = 2, Count = 2000 }))
            .Add("txa", new LoopTx(wire.A)).Add("txb", new LoopTx(wire.B))
            .Add("rxa", new LoopRx(wire.A)).Add("rxb", new LoopRx(wire.B))
            .Add("ata", atA).Add("atb", atB)
            .Connect("s1", "txa").Connect("s2", "txb").Connect("rxb", "atb").Connect("rxa", "ata")
            .Build();
        graph.Start();
        await Waits.Until(() => atA.Count == 2000 && atB.Count == 3000, "both directions", Limit);
        await graph.StopAsync().WaitAsync(Limit);

        atB.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [1] = 3000 });
        atA.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [2] = 2000 });
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public async Task AFullWireDropsAtTheSenderWithRingFullAndDisposeFreesWhatWasOnIt()
    {
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 1, Count = 100 });
        var wire = new LoopWire("full", capacity: 16);
        using FlowGraph graph = new GraphBuilder()
            .Add("source", source).Add("tx", new LoopTx(wire.A)).Connect("source", "tx").Build();
        await graph.RunAsync().WaitAsync(Limit);

        StageStats tx = graph.GetStats().Stage("tx");
        Assert.Equal(16, tx.Consumed);
        Assert.Equal(84, tx.DroppedFor("ring_full"));
        Assert.True(graph.GetStats().IsBalanced);
        Assert.Equal(16, wire.B.Pending);
        Assert.Equal(16, source.Pool.Outstanding);
        // The wire goes before the graph: disposing the graph disposes the source and its pool.
        wire.Dispose();
        Assert.Equal(0, source.Pool.Outstanding);
    }

    [Fact]
    public async Task TheNullDeviceProducesNothingAndFreesWhatItIsGiven()
    {
        var source = new TaggedSource(new TaggedSourceOptions { SourceId = 1, Count = 1000 });
        var nullTx = new NullTx();
        using FlowGraph graph = new GraphBuilder()
            .Add("source", source).Add("nullrx", new NullRx()).Add("tx", nullTx).Add("sink", new CaptureSink())
            .Connect("source", "tx").Connect("nullrx", "sink").Build();
        graph.Start();
        await Waits.Until(() => nullTx.Sent == 1000, "1000 packets at null_tx", Limit);
        await graph.StopAsync().WaitAsync(Limit);

        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced);
        Assert.Equal(1000, stats.Stage("tx").Consumed);
        Assert.Equal(0, stats.Stage("nullrx").OutTotal);
        Assert.Equal(0, source.Pool.Outstanding);
    }

    [Fact]
    public void ReceivedFramesCarryTheConfiguredInputPortAndZeroWhenUnset()
    {
        string name = $"input-port-{Guid.NewGuid():N}";
        using var pool = new LeakCheckingPool(8);
        try
        {
            var toB = new LoopTx(new LoopOptions { Wire = name, End = "a" });
            var toA = new LoopTx(new LoopOptions { Wire = name, End = "b" });
            var atB = new LoopRx(new LoopOptions { Wire = name, End = "b", InputPort = 9 });
            var atA = new LoopRx(new LoopOptions { Wire = name, End = "a" });

            Assert.Equal(9, SendAndReceive(pool, toB, atB));
            Assert.Equal(0, SendAndReceive(pool, toA, atA));
        }
        finally
        {
            LoopWires.Remove(name);
        }
    }

    /// <summary>Sends one frame stamped with input port 5 and returns the port it arrives with.</summary>
    private static ushort SendAndReceive(LeakCheckingPool pool, LoopTx tx, LoopRx rx)
    {
        Packet sent = pool.Make(new byte[64]);
        sent.Meta.InputPort = 5;
        Span<Next> nexts = stackalloc Next[1];
        tx.Process([sent], nexts);
        Assert.Equal(Next.Consumed, nexts[0]);

        Span<Packet> received = new Packet[1];
        Assert.Equal(1, rx.Poll(received, nexts));
        ushort port = received[0].Meta.InputPort;
        PacketPools.Free(received[0]);
        return port;
    }

    [Fact]
    public async Task StagesMadeFromConfigurationFindTheirWireByName()
    {
        var services = new ServiceCollection().AddFlow().AddFlowLoop();
        using ServiceProvider provider = services.BuildServiceProvider();
        var registry = provider.GetRequiredService<StageRegistry>();
        Assert.True(registry.TryGet("loop_tx", out StageRegistration txType));
        Assert.True(registry.TryGet("loop_rx", out StageRegistration rxType));
        Assert.True(registry.TryGet("null_rx", out _));
        Assert.True(registry.TryGet("null_tx", out _));
        string name = $"configured-{Guid.NewGuid():N}";
        var tx = (LoopTx)txType.Create(provider, new LoopOptions { Wire = name, End = "a" });
        var rx = (LoopRx)rxType.Create(provider, new LoopOptions { Wire = name, End = "b" });
        Assert.Same(tx.End.Wire, rx.End.Wire);

        var capture = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { SourceId = 9, Count = 500 }))
            .Add("tx", tx).Add("rx", rx).Add("sink", capture)
            .Connect("source", "tx").Connect("rx", "sink").Build();
        graph.Start();
        await Waits.Until(() => capture.Count == 500, "500 packets", Limit);
        await graph.StopAsync().WaitAsync(Limit);
        capture.AssertExactlyOnceInOrder(new Dictionary<uint, long> { [9] = 500 });
        Assert.True(graph.GetStats().IsBalanced);
        LoopWires.Remove(name);
        Assert.Throws<ArgumentException>(() => new LoopRx(new LoopOptions { Wire = name, End = "c" }));
        LoopWires.Remove(name);
    }
}
