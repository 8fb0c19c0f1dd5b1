using Xunit;

namespace Flow.Core.Tests.BuiltIn;

public class GeneratorPoolTests
{
    [Fact]
    public async Task AGeneratorGivenAPoolGeneratesIntoItAndLeavesItToItsOwner()
    {
        using PacketPool pool = PacketPool.Create(256, name: "caller-owned");
        var generator = new Generator(new GeneratorOptions { Count = 10_000 }, pool);
        var sink = new NullSink();
        using (FlowGraph graph = new GraphBuilder()
            .Worker(0, idle: IdlePolicy.Yielding)
            .Add("gen", generator).Add("sink", sink).Connect("gen", "sink")
            .Build())
        {
            await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(10_000, graph.GetStats().Stage("sink").Consumed);
            Assert.True(graph.GetStats().IsBalanced);
        }
        Assert.Same(pool, generator.Pool);
        // The graph disposed the generator; the caller's pool must still work.
        Assert.True(pool.TryAllocate(out Packet packet));
        pool.Free(packet);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void ATemplateLargerThanTheGivenPoolsFramesIsRefusedAndThePoolKept()
    {
        using PacketPool pool = PacketPool.Create(16, frameSize: 256, dataOffset: 128, name: "small-frames");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Generator(new GeneratorOptions { FrameSize = 200 }, pool));
        Assert.Contains("1 to 128 bytes", error.Message);
        Assert.True(pool.TryAllocate(out Packet packet));
        pool.Free(packet);
    }
}
