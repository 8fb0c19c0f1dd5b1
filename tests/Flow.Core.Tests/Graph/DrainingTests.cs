using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Graph;

/// <summary>
/// <see cref="Stage.OnDraining"/>: called once when a graceful stop begins, and what a stage
/// emits there is delivered before the graph stops (a DHCP client's RELEASE); a stop without a
/// drain does not call it.
/// </summary>
[Collection(nameof(CoreBoundCollection))]
public sealed class DrainingTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>Passes packets on, and when the graph drains sends one goodbye packet of its own.</summary>
    [Stage("goodbye", "Test stage: emits one packet when the graph starts draining.", Accepts = typeof(Carries.Ethernet))]
    public sealed class Goodbye : Stage<Goodbye.Output, NoDrop>, IDisposable
    {
        private readonly PacketPool _pool = PacketPool.Create(4, name: "goodbye");

        public enum Output : byte
        {
            [Port(typeof(Carries.Ethernet), "everything, then the goodbye")]
            Out,
        }

        public int DrainingCalls { get; private set; }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) => nexts.Slice(0, packets.Length).Fill(To(Output.Out));

        public override void OnDraining()
        {
            DrainingCalls++;
            Assert.True(_pool.TryAllocate(out Packet packet));
            packet.TrySetLength(60);
            Emit(packet, Output.Out);
        }

        public void Dispose() => _pool.Dispose();
    }

    [Fact]
    public async Task WhatAStageEmitsWhenTheGraphDrainsIsDeliveredBeforeItStops()
    {
        var capture = new CaptureSink();
        var goodbye = new Goodbye();
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { SourceId = 1, Count = 100 }))
            .Add("goodbye", goodbye)
            .Add("capture", capture)
            .Connect("source", "goodbye")
            .Connect("goodbye", "capture")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);

        Assert.Equal(1, goodbye.DrainingCalls);
        Assert.Equal(101, capture.Count);
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, string.Join("\n", stats.Stages));
    }

    [Fact]
    public async Task AStopWithoutDrainDoesNotCallIt()
    {
        var goodbye = new Goodbye();
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { SourceId = 1, Count = long.MaxValue }))
            .Add("goodbye", goodbye)
            .Add("sink", new NullSink())
            .Connect("source", "goodbye")
            .Connect("goodbye", "sink")
            .Build();
        graph.Start();
        await graph.StopAsync(drain: false).WaitAsync(Limit);
        Assert.Equal(0, goodbye.DrainingCalls);
    }
}
