using Flow.Stages.Icmp;
using Flow.Stages.Ipv4;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Flow.Stages.Tests.Ipv4;

public sealed class RouterStagesRegistrationTests
{
    [Fact]
    public void AddFlowRouterStagesRegistersEachStageByNameAndBuildsItFromOptions()
    {
        using ServiceProvider services = new ServiceCollection().AddFlow().AddFlowRouterStages().BuildServiceProvider();
        var registry = services.GetRequiredService<StageRegistry>();
        (string Name, object? Options)[] stages =
        [
            ("eth_classify", new Flow.Stages.Ethernet.EtherClassifierOptions { Interfaces = RouterFrames.Interfaces() }),
            ("ipv4_input", new Ipv4ValidatorOptions { Interfaces = RouterFrames.Interfaces() }),
            ("ipv4_local", new Ipv4LocalDemuxOptions { UdpPorts = [67] }),
            ("ipv4_forward", null),
            ("icmp_echo", new IcmpEchoResponderOptions { Interfaces = RouterFrames.Interfaces() }),
            ("icmp_error", new IcmpErrorSenderOptions { Interfaces = RouterFrames.Interfaces() }),
        ];
        foreach ((string name, object? options) in stages)
        {
            Assert.True(registry.TryGet(name, out StageRegistration registration), name);
            Assert.Equal(options?.GetType(), registration.OptionsType);
            Stage stage = registration.Create(services, options);
            Assert.Equal(name, stage.Descriptor.TypeName);
        }
    }

    [Fact]
    public void PortsAndDropReasonsHaveTheirWireNames()
    {
        Assert.Equal(["ipv4", "arp"], StageDescriptor.Of(typeof(Flow.Stages.Ethernet.EtherClassifier)).Ports.Select(p => p.Name));
        Assert.Equal(["local", "forward"], StageDescriptor.Of(typeof(Ipv4Validator)).Ports.Select(p => p.Name));
        Assert.Equal(["icmp", "udp", "unreachable", "tcp"], StageDescriptor.Of(typeof(Ipv4LocalDemux)).Ports.Select(p => p.Name));
        // tcp is a host stack's: a router's instance (no tcp option) leaves it out.
        Assert.Equal(["icmp", "udp", "unreachable"], new Ipv4LocalDemux(new Ipv4LocalDemuxOptions()).Descriptor.Ports.Select(p => p.Name));
        Assert.Equal(["icmp", "udp", "unreachable", "tcp"], new Ipv4LocalDemux(new Ipv4LocalDemuxOptions { Tcp = true }).Descriptor.Ports.Select(p => p.Name));
        Assert.Equal(["forwarded", "time_exceeded"], StageDescriptor.Of(typeof(Ipv4Forwarder)).Ports.Select(p => p.Name));
        Assert.Equal(["reply", "other"], StageDescriptor.Of(typeof(IcmpEchoResponder)).Ports.Select(p => p.Name));
        Assert.Equal(["error"], StageDescriptor.Of(typeof(IcmpErrorSender)).Ports.Select(p => p.Name));
        Assert.Equal(
            ["bad_request", "malformed", "about_icmp_error", "about_fragment", "about_broadcast", "about_multicast", "about_link_broadcast",
             "bad_source", "no_source_address", "rate_limited_destination", "rate_limited", "no_room", "stage_fault", "invalid_next"],
            StageDescriptor.Of(typeof(IcmpErrorSender)).DropReasons.Select(r => r.Symbol));
    }
}
