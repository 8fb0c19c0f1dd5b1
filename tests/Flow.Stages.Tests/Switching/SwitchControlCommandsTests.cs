using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;
using Flow.Stages.Switching.Internal;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Switching;

/// <summary>The switch's control commands by hand: argument parsing, switch lookup, DI registration (the socket side is in Flow.Hosting.Tests and Flow.Integration.Tests).</summary>
public class SwitchControlCommandsTests
{
    [Theory]
    [InlineData("02:00:00:00:00:0a")]
    [InlineData("02-00-00-00-00-0A")]
    [InlineData("0200.0000.000a")]
    [InlineData(" 02:00:00:00:00:0A ")]
    public void MacAddressesAreReadInTheUsualSpellings(string text) =>
        Assert.Equal(new MacAddress(0x02, 0, 0, 0, 0, 0x0a), SwitchControlCommands.Mac(text));

    [Theory]
    [InlineData("02:00:00:00:0a")]
    [InlineData("02:00:00:00:00:0g")]
    [InlineData("02:00-00:00:00:0a")]
    [InlineData("020000.00000a")]
    [InlineData("")]
    public void AnythingElseIsRefusedNamingIt(string text)
    {
        var e = Assert.Throws<ControlCommandException>(() => SwitchControlCommands.Mac(text));
        Assert.Equal($"'{text}' is not a MAC address; write it as 02:00:00:00:00:0a", e.Message);
    }

    [Fact]
    public void VlanListsTakeIdsRangesAndAll()
    {
        Assert.Equal([10, 20, 30, 31, 32], SwitchControlCommands.VlanList("20,10, 30-32,31"));
        Assert.Empty(SwitchControlCommands.VlanList("all"));
        Assert.Equal("VLAN list '10,4095': '4095' is out of range 1 to 4094",
            Assert.Throws<ControlCommandException>(() => SwitchControlCommands.VlanList("10,4095")).Message);
        Assert.Equal("VLAN list '10,x': 'x' is neither a VLAN id nor a range such as 30-39",
            Assert.Throws<ControlCommandException>(() => SwitchControlCommands.VlanList("10,x")).Message);
        Assert.Equal("VLAN list '9-3': range '9-3' runs backwards",
            Assert.Throws<ControlCommandException>(() => SwitchControlCommands.VlanList("9-3")).Message);
    }

    [Fact]
    public void AddFlowSwitchingRegistersEachCommandOnceEvenWhenCalledTwice()
    {
        using ServiceProvider services = new ServiceCollection().AddFlow().AddFlowSwitching().AddFlowSwitching().BuildServiceProvider();
        Assert.Equal(["mac add", "mac del", "mac flush", "mac show", "port set", "port show", "vlan show"],
            services.GetServices<IControlCommand>().Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FindFollowsTheEdgesFromTheForwarderThroughStagesBetween()
    {
        // classify ─ counter ─ learn ─ forward: the learner need not feed the forwarder directly.
        var builder = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding)
            .Add("gen", new Generator(new GeneratorOptions { Count = 1 }))
            .Add("c", new Flow.Stages.Vlan.VlanClassifier(new Flow.Stages.Vlan.VlanClassifierOptions { Ports = FourPorts() }))
            .Add("n", new Counter())
            .Add("l", new MacLearner(new MacLearnerOptions()))
            .Add("f", new L2Forwarder(new L2ForwarderOptions { Ports = FourPorts() }))
            .Connect("gen", "c").Connect("c", "n").Connect("n", "l").Connect("l", "f");
        foreach (SwitchPortOptions port in FourPorts())
        {
            builder.Add("sink_" + port.Name, new NullSink()).Connect($"f:{port.Name}", "sink_" + port.Name);
        }
        await using FlowGraph graph = builder.Build();

        Assert.Equal("f", SwitchControl.Find(graph).Forwarder);
        Assert.Equal("f", SwitchControl.Find(graph, "c").Forwarder);
        Assert.Equal("stage 'n' (counter) is not part of a switch; the switches are 'f' (by their l2_forwarder)",
            Assert.Throws<SwitchConfigurationException>(() => SwitchControl.Find(graph, "n")).Message);
        Assert.Equal("no stage is named 'x'; the switches are 'f' (by their l2_forwarder)",
            Assert.Throws<SwitchConfigurationException>(() => SwitchControl.Find(graph, "x")).Message);
        await graph.RunAsync();
        Assert.True(graph.GetStats().IsBalanced);
    }
}
