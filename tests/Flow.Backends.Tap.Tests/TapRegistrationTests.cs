using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Backends.Tap.Tests;

public class TapRegistrationTests
{
    [Fact]
    public void RxAndTxAreRegisteredByTheirTypeNamesWithTheirOptions()
    {
        using ServiceProvider provider = new ServiceCollection().AddFlow().AddFlowTap().BuildServiceProvider();
        var registry = provider.GetRequiredService<StageRegistry>();
        Assert.True(registry.TryGet("tap_rx", out StageRegistration rx));
        Assert.True(registry.TryGet("tap_tx", out StageRegistration tx));
        Assert.Equal(typeof(TapOptions), rx.OptionsType);
        Assert.Equal(typeof(TapOptions), tx.OptionsType);
    }
}
