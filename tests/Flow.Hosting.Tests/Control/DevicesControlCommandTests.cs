using Flow.Hosting.Internal;
using Xunit;

namespace Flow.Hosting.Tests;

/// <summary><c>flow ctl devices</c>: the ports' own device counters, read when asked.</summary>
public sealed class DevicesControlCommandTests
{
    /// <summary>A sink standing in for a port whose device keeps counters of its own.</summary>
    [Stage("counting_device", "Test stage: a sink whose device counts what it took.")]
    private sealed class CountingDevice : Stage<NoOutput, NoDrop>, IDeviceCounters
    {
        private long _taken;

        public string CounterDevice => "test0 queue 0";

        public IReadOnlyList<KeyValuePair<string, long>> ReadDeviceCounters() => [new("rx_good_packets", Volatile.Read(ref _taken)), new("rx_missed", 0)];

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            Volatile.Write(ref _taken, _taken + packets.Length);
            nexts.Slice(0, packets.Length).Fill(Next.Consumed);
            PacketPools.Free(packets);
        }
    }

    [Fact]
    public async Task DevicesListEachCounterOfEachPortDeviceAndSayWhenThereAreNone()
    {
        await using FlowGraph graph = new GraphBuilder()
            .Add("gen", new Generator(new GeneratorOptions { Count = 500 }))
            .Add("port", new CountingDevice())
            .Connect("gen", "port")
            .Build();
        await graph.RunAsync();

        ControlReply reply = await new DevicesControlCommand().ExecuteAsync(new ControlRequest(graph, "devices"), CancellationToken.None);
        Assert.Equal(["stage", "device", "counter", "value"], reply.Columns);
        Assert.Equal([["port", "test0 queue 0", "rx_good_packets", "500"], ["port", "test0 queue 0", "rx_missed", "0"]],
            reply.Rows.Select(r => r.ToArray()).ToArray());

        await using FlowGraph plain = new GraphBuilder().Add("gen", new Generator(new GeneratorOptions { Count = 1 })).Add("sink", new NullSink()).Connect("gen", "sink").Build();
        ControlReply none = await new DevicesControlCommand().ExecuteAsync(new ControlRequest(plain, "devices"), CancellationToken.None);
        Assert.Empty(none.Rows);
        Assert.Contains("no port of this graph has device counters", none.Message, StringComparison.Ordinal);
        await plain.RunAsync();
    }
}
