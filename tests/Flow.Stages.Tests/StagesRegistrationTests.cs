using Flow.Stages.Switching;
using Flow.Stages.Vlan;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests;

public class StagesRegistrationTests
{
    [Fact]
    public void AddFlowSwitchingRegistersTheSwitchStagesByName()
    {
        using ServiceProvider services = new ServiceCollection().AddFlow().AddFlowSwitching().BuildServiceProvider();
        var registry = services.GetRequiredService<StageRegistry>();
        Assert.True(registry.TryGet("vlan_classifier", out StageRegistration classifier));
        Assert.Equal(typeof(VlanClassifierOptions), classifier.OptionsType);
        Assert.True(registry.TryGet("mac_learner", out StageRegistration learner));
        Assert.Equal(typeof(MacLearnerOptions), learner.OptionsType);
        Assert.True(registry.TryGet("vlan_tagger", out StageRegistration tagger));
        Assert.Null(tagger.OptionsType);
        Assert.True(registry.TryGet("l2_forwarder", out StageRegistration forwarder));
        using var stage = (L2Forwarder)forwarder.Create(services, new L2ForwarderOptions { Ports = FourPorts() });
        Assert.Equal(["host_a", "host_b", "host_c", "uplink"], stage.Descriptor.Ports.Select(p => p.Name));
        Assert.True(registry.TryGet("input_port", out StageRegistration stamper));
        Assert.Equal(typeof(Flow.Stages.Ports.InputPortStamperOptions), stamper.OptionsType);
    }
}
