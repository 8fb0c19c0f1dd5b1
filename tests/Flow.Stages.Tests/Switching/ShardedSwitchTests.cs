using Flow.Protocols.Ethernet;
using Flow.Samples.Switch;
using Flow.Stages.Switching;
using Flow.Stages.Vlan;
using Xunit;

namespace Flow.Stages.Tests.Switching;

/// <summary>
/// A switch of two shards on two workers with one MAC table (issue 18): stations learned on one
/// shard are known on the other once the writer publishes them; stamped frames arrive exactly
/// once, and none is flooded after its destination was published.
/// </summary>
public sealed class ShardedSwitchTests
{
    private const long Frames = 20_000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly MacAddress A = new(0x02, 0, 0, 0, 0, 0x0A);
    private static readonly MacAddress B = new(0x02, 0, 0, 0, 0, 0x0B);
    private static readonly MacAddress C = new(0x02, 0, 0, 0, 0, 0x0C);
    private static readonly SwitchPortOptions[] s_ports =
        [SwitchPortOptions.Access("port_a", 10), SwitchPortOptions.Access("port_b", 10), SwitchPortOptions.Access("port_c", 10)];

    /// <summary>A simulated host that sends nothing until the test opens it.</summary>
    [Stage("gated_host", "Test source: a simulated host held until opened.")]
    private sealed class GatedHost(SimulatedHost host) : SourceStage<GatedHost.Output, NoDrop>, IDisposable
    {
        private int _open;

        public enum Output : byte
        {
            [Port(typeof(Carries.Ethernet), "the host's frames")]
            Wire,
        }

        public SimulatedHost Host => host;

        public void Open() => Volatile.Write(ref _open, 1);

        public override int Poll(Span<Packet> packets, Span<Next> nexts) => Volatile.Read(ref _open) == 0 ? 0 : host.Poll(packets, nexts);

        public void Dispose() => host.Dispose();
    }

    private static GatedHost Host(uint id, MacAddress mac, ushort port, MacAddress to) =>
        new(new SimulatedHost(new SimulatedHostOptions { Id = id, Mac = mac, InputPort = port, FramesPerFlow = Frames, Flows = [new(to)] }));

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what}: not within {Limit.TotalSeconds} s");
            }
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task AStationLearnedOnOneShardIsKnownOnTheOtherAndNoFrameFloodsAfterItIsPublished()
    {
        // Shard 0 has host a (port_a); shard 1 has host b (port_b), and later b again (b2).
        GatedHost a = Host(0xA, A, 0, B), b = Host(0xB, B, 1, A), b2 = Host(0xB2, B, 1, A);
        var sinks = new Dictionary<(int Shard, int Port), HostSink>();
        MacLearner? writer = null;
        var builder = new GraphBuilder().Shards(2, shard =>
        {
            shard.Worker(0, idle: IdlePolicy.Yielding)
                .Add(SwitchGraph.Classifier, new VlanClassifier(new VlanClassifierOptions { Ports = s_ports }))
                .Add(SwitchGraph.Learner, shard.Shard == 0 ? writer = new MacLearner(new MacLearnerOptions()) : writer!.CopyForShard(shard.Shard, shard.Count))
                .Add(SwitchGraph.Forwarder, new L2Forwarder(new L2ForwarderOptions { Ports = s_ports }))
                .Connect(SwitchGraph.Classifier, SwitchGraph.Learner)
                .Connect(SwitchGraph.Learner, SwitchGraph.Forwarder);
            for (int port = 0; port < s_ports.Length; port++)
            {
                string name = s_ports[port].Name;
                HostSink sink = sinks[(shard.Shard, port)] = new HostSink(port switch { 0 => A, 1 => B, _ => C });
                shard.Add(SwitchGraph.TaggerOf(name), new VlanTagger())
                    .Connect($"{SwitchGraph.Forwarder}:{name}", SwitchGraph.TaggerOf(name))
                    .Add("sink_" + name, sink)
                    .Connect(SwitchGraph.TaggerOf(name), "sink_" + name);
            }
            foreach ((string name, GatedHost host) in shard.Shard == 0 ? [("host_a", a)] : new[] { ("host_b", b), ("host_b2", b2) })
            {
                shard.Add(name, host).Connect(name, SwitchGraph.Classifier);
            }
        });
        await using FlowGraph graph = builder.Build();
        var control = SwitchControl.Find(graph); // one switch, whatever its shards
        graph.Start();

        // 1. b talks (shard 1): a is unknown, so b's frames flood; b is handed to the writer.
        b.Open();
        await UntilAsync(async () => b.Host.IsExhausted && (await control.ShowMacTableAsync()).Any(e => e.Mac == B), "b learned");
        // 2. a talks (shard 0), after b was published: every frame goes to b's port only.
        a.Open();
        await UntilAsync(async () => a.Host.IsExhausted && (await control.ShowMacTableAsync()).Any(e => e.Mac == A), "a learned");
        // 3. b talks again (shard 1), after a was published by the writer on shard 0.
        b2.Open();
        await UntilAsync(() => Task.FromResult(b2.Host.IsExhausted), "b2 sent");
        await graph.StopAsync(drain: true).WaitAsync(Limit);

        IReadOnlyList<long> Received(int port, uint host) => sinks.Where(s => s.Key.Port == port).SelectMany(s => s.Value.From(host, 0)).Order().ToList();
        void ExactlyOnce(int port, uint host, string what)
        {
            IReadOnlyList<long> got = Received(port, host);
            Assert.True(got.Count == Frames && got.Select((sequence, i) => sequence == i).All(x => x),
                $"{what}: {got.Count} of {Frames} frames, {got.Distinct().Count()} distinct");
        }
        ExactlyOnce(0, 0xB, "b -> a (flooded: a unknown)");
        ExactlyOnce(2, 0xB, "b -> a flooded to c");
        ExactlyOnce(1, 0xA, "a -> b");
        Assert.Empty(Received(2, 0xA)); // published before a spoke: never flooded
        ExactlyOnce(0, 0xB2, "b -> a after a was learned");
        Assert.Empty(Received(2, 0xB2)); // published by the writer on the other shard: never flooded
        Assert.Empty(Received(1, 0xB));  // nothing back out of the port it came in on
        Assert.Empty(Received(1, 0xB2));

        MacLearnerCounters counters = await control.LearnerCountersAsync();
        Assert.Equal(2, counters.Entries);
        Assert.Equal(2, counters.Learned);
        Assert.True(counters.HandedOff >= 1, $"b was learned without a hand-off: {counters}");
        Assert.Equal(0, counters.HandOffsDropped);
        Assert.Equal([("port_a", A), ("port_b", B)], (await control.ShowMacTableAsync()).Select(e => (e.Port, e.Mac)).OrderBy(e => e.Port).ToList());
        GraphStats stats = graph.GetStats();
        Assert.True(stats.IsBalanced, stats.ToString());
    }
}
