using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Core.Tests.DependencyInjection;

public class FlowServiceCollectionTests
{
    [Fact]
    public void AddFlowRegistersTheBuiltInStagesByName()
    {
        using ServiceProvider services = new ServiceCollection().AddFlow().BuildServiceProvider();
        var registry = services.GetRequiredService<StageRegistry>();
        Assert.Equal(["counter", "drop", "generator", "null_sink"], registry.All.Select(r => r.TypeName).Order());
        Assert.True(registry.TryGet("generator", out StageRegistration generator));
        Assert.Equal(typeof(GeneratorOptions), generator.OptionsType);
        using var stage = (Generator)generator.Create(services, new GeneratorOptions { Count = 5 });
        Assert.True(stage.IsSource);
        Assert.NotNull(services.GetRequiredService<FlowMetrics>());
    }

    [Fact]
    public void AStageTypeNameRegisteredByTwoClassesIsRefused()
    {
        var services = new ServiceCollection().AddFlow().AddFlowStage<Impostor>().BuildServiceProvider();
        var e = Assert.Throws<InvalidOperationException>(services.GetRequiredService<StageRegistry>);
        Assert.Contains("'counter' is registered twice", e.Message);
    }

    [Stage("counter", "An impostor.")]
    private sealed class Impostor : Stage<NoOutput, NoDrop>
    {
        public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
        {
        }
    }
}
