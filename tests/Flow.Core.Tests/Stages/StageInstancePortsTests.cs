using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Stages;

public class StageInstancePortsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>Sends packet i to member port i mod n: a stage whose ports are configuration.</summary>
    [Stage("round_robin", "Test stage with one output per configured member.", Accepts = typeof(Carries.Ethernet))]
    private sealed class RoundRobin : Stage<RoundRobin.Output, NoDrop>
    {
        private readonly int _members;
        private int _next;

        public RoundRobin(IReadOnlyList<string> members)
        {
            NamePorts(Output.Member, members);
            _members = members.Count;
        }

        public enum Output : byte
        {
            [Port(typeof(Carries.Ethernet), "frames for this member")]
            Member,
        }

        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                nexts[i] = Next.ToPort(_next);
                _next = (_next + 1) % _members;
            }
        }
    }

    [Fact]
    public void AnInstanceHasTheNamedPortsWithTheTemplatesTypeAndDescription()
    {
        var stage = new RoundRobin(["uplink", "host_a", "host_b"]);
        Assert.Equal(["uplink", "host_a", "host_b"], stage.Descriptor.Ports.Select(p => p.Name));
        Assert.Equal([0, 1, 2], stage.Descriptor.Ports.Select(p => p.Index));
        Assert.All(stage.Descriptor.Ports, p => Assert.Equal(typeof(Carries.Ethernet), p.Carries));
        Assert.All(stage.Descriptor.Ports, p => Assert.Equal("frames for this member", p.Description));
        Assert.Equal("round_robin", stage.Descriptor.TypeName);
    }

    [Fact]
    public void TheTypeKeepsItsDeclaredPorts()
    {
        _ = new RoundRobin(["a", "b"]);
        Assert.Equal(["member"], StageDescriptor.Of(typeof(RoundRobin)).Ports.Select(p => p.Name));
    }

    [Theory]
    [InlineData("Uplink", "port name 'Uplink' is not valid")]
    [InlineData("host a", "port name 'host a' is not valid")]
    [InlineData("0th", "port name '0th' is not valid")]
    [InlineData("", "port name '' is not valid")]
    public void BadPortNamesAreRejectedByName(string bad, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new RoundRobin(["uplink", bad]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void APortNameGivenTwiceIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new RoundRobin(["uplink", "uplink"]));
        Assert.Contains("port name 'uplink' is given twice", e.Message);
    }

    [Fact]
    public void NoPortNamesIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new RoundRobin([]));
        Assert.Contains("0 port names given", e.Message);
    }

    [Fact]
    public void TheGraphConnectsAndCountsTheNamedPorts()
    {
        var builder = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { Count = 10 }))
            .Add("rr", new RoundRobin(["left", "right"]))
            .Add("sink", new NullSink())
            .Connect("source", "rr").Connect("rr:left", "sink").Connect("rr:middle", "sink");
        var e = Assert.Throws<GraphValidationException>(() => builder.Build());
        Assert.Contains("has no port 'middle'; its ports are left, right", e.Message);
        Assert.Contains("port 'right' is not connected", e.Message);
    }

    [Fact]
    public async Task PacketsLeaveOnTheNamedPortsAndBalance()
    {
        var left = new CaptureSink();
        var right = new CaptureSink();
        using FlowGraph graph = new GraphBuilder()
            .Add("source", new TaggedSource(new TaggedSourceOptions { SourceId = 1, Count = 1_000 }))
            .Add("rr", new RoundRobin(["left", "right"]))
            .Add("l", left).Add("r", right)
            .Connect("source", "rr").Connect("rr:left", "l").Connect("rr:right", "r")
            .Build();
        await graph.RunAsync().WaitAsync(Limit);
        GraphStats stats = graph.GetStats();
        Assert.Equal(500, stats.Stage("rr").OutOn("left"));
        Assert.Equal(500, stats.Stage("rr").OutOn("right"));
        Assert.True(stats.IsBalanced, stats.ToString());
        Assert.Equal(500, left.Count);
    }
}
