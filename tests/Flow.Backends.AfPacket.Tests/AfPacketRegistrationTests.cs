using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Backends.AfPacket.Tests;

public class AfPacketRegistrationTests
{
    [Fact]
    public void RxAndTxAreRegisteredByTheirTypeNamesWithTheirOptions()
    {
        using ServiceProvider provider = new ServiceCollection().AddFlow().AddFlowAfPacket().BuildServiceProvider();
        var registry = provider.GetRequiredService<StageRegistry>();
        Assert.True(registry.TryGet("af_packet_rx", out StageRegistration rx));
        Assert.True(registry.TryGet("af_packet_tx", out StageRegistration tx));
        Assert.Equal(typeof(AfPacketOptions), rx.OptionsType);
        Assert.Equal(typeof(AfPacketOptions), tx.OptionsType);
        Assert.Equal(["kernel_drop", "too_big"], rx.Descriptor.DropReasons.Select(d => d.Symbol).Take(2));
    }
}
