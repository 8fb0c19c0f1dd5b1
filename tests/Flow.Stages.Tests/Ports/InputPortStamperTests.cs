using Flow.Stages.Ports;
using Flow.TestKit;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Ports;

public sealed class InputPortStamperTests : IDisposable
{
    private readonly LeakCheckingPool _pool = new(64);
    private readonly StageHarness _harness = new(new InputPortStamper(new InputPortStamperOptions { Port = 3 }), "p4_in");

    public void Dispose()
    {
        Assert.True(_harness.Stats.IsBalanced, _harness.Stats.ToString());
        _harness.Dispose();
        _pool.Dispose();
    }

    [Fact]
    public void StampsItsPortOnEveryPacketAndLeavesTheBytesAlone()
    {
        byte[] frame = Frame(Host(2), Host(1));
        _harness.Process([_pool.On(0, frame), _pool.On(7, frame), _pool.On(3, frame)]);
        IReadOnlyList<Packet> output = _harness.Output("out");
        Assert.Equal(3, output.Count);
        Assert.All(output, p => Assert.Equal(3, p.Meta.InputPort));
        Assert.All(output, p => Assert.True(p.Data.SequenceEqual(frame)));
    }

    [Fact]
    public void AnEmptyBatchIsNothing()
    {
        _harness.Process([]);
        Assert.Empty(_harness.Output("out"));
    }
}
