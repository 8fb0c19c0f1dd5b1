using Flow.Backends.AfXdp.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Backends.AfXdp.Tests;

/// <summary>The stages are registered by type name and built from options through DI.</summary>
[Collection(nameof(NetnsCollection))]
public sealed class AfXdpRegistrationTests
{
    [Fact]
    public void RegistersRxAndTxUnderTheirTypeNamesWithTheOptionsRecord()
    {
        using ServiceProvider services = new ServiceCollection().AddFlow().AddFlowAfXdp().BuildServiceProvider();
        var registry = services.GetRequiredService<StageRegistry>();

        Assert.True(registry.TryGet("af_xdp_rx", out StageRegistration rx));
        Assert.True(registry.TryGet("af_xdp_tx", out StageRegistration tx));
        Assert.Equal(typeof(AfXdpOptions), rx.OptionsType);
        Assert.Equal(typeof(AfXdpOptions), tx.OptionsType);
        Assert.Equal(["out"], rx.Descriptor.Ports.Select(p => p.Name));
        Assert.Contains(tx.Descriptor.DropReasons, d => d.Symbol == "tx_ring_full");
    }

    [Fact]
    public void AStageBuiltThroughTheRegistryOpensTheInterface()
    {
        using var veth = new PeerVeth();
        using ServiceProvider services = new ServiceCollection().AddFlow().AddFlowAfXdp().BuildServiceProvider();
        StageRegistration registration = services.GetRequiredService<StageRegistry>().All.Single(r => r.TypeName == "af_xdp_rx");

        var rx = (AfXdpRx)registration.Create(services, new AfXdpOptions { Interface = veth.Local, AttachMode = AfXdpAttachMode.Skb });
        try
        {
            Assert.Equal(veth.Local, rx.Port.Interface);
            Assert.Equal("xdpgeneric", veth.LocalXdpMode());
        }
        finally
        {
            rx.Dispose();
        }
        Assert.Null(veth.LocalXdpMode());
    }
}
