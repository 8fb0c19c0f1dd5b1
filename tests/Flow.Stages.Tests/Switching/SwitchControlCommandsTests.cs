using Flow.Protocols.Ethernet;
using Flow.Stages.Switching;
using Flow.Stages.Switching.Internal;
using Flow.Stages.Vlan;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static Flow.Stages.Tests.Frames;

namespace Flow.Stages.Tests.Switching;

/// <summary>The switch's control commands by hand: their declarations, argument parsing, switch lookup (the socket side is in Flow.Cli.Tests and Flow.Integration.Tests).</summary>
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
    public void TheForwarderDeclaresTheSwitchsVerbsAndNothingIsRegisteredInDi()
    {
        IControlledStage forwarder = new L2Forwarder(new L2ForwarderOptions { Ports = FourPorts() });
        Assert.Equal(["mac add", "mac del", "mac flush", "mac show", "port set", "port show", "vlan show"],
            forwarder.ControlCommands.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Same(forwarder.ControlCommands, ((IControlledStage)new L2Forwarder(new L2ForwarderOptions { Ports = FourPorts() })).ControlCommands);
        Assert.False(typeof(IControlledStage).IsAssignableFrom(typeof(MacLearner)), "the switch's verbs are declared once, by its forwarder");

        using ServiceProvider services = new ServiceCollection().AddFlow().AddFlowSwitching().BuildServiceProvider();
        Assert.Empty(services.GetServices<IControlCommand>());
    }

    [Fact]
    public void TheDeclaredArgumentsCarryTheSwitchsPositionalsAndValueChecks()
    {
        IControlCommand portSet = SwitchControlCommands.All.Single(c => c.Name == "port set");
        Assert.Equal(["port", "mode", "vlans"], portSet.Arguments.Where(a => a.Positional).Select(a => a.Name));
        Assert.Equal(["port", "mode"], portSet.Arguments.Where(a => a.Required).Select(a => a.Name));
        ControlArgument mode = portSet.Arguments.Single(a => a.Name == "mode");
        Assert.Equal("mode 'hybrid' is not one of access, trunk", mode.Value.Check("mode", "hybrid"));
        Assert.Null(mode.Value.Check("mode", "trunk"));

        ControlArgument vlan = SwitchControlCommands.All.Single(c => c.Name == "mac flush").Arguments.Single(a => a.Name == "vlan");
        Assert.Equal("vlan 'ten' is not a VLAN id (a number from 1 to 4094)", vlan.Value.Check("vlan", "ten"));
        Assert.Equal("VLAN 4095 is out of range 1 to 4094", vlan.Value.Check("vlan", "4095"));
        Assert.Null(vlan.Value.Check("vlan", "4094"));

        ControlArgument mac = SwitchControlCommands.All.Single(c => c.Name == "mac add").Arguments[0];
        Assert.Equal(("mac", true, true), (mac.Name, mac.Positional, mac.Required));
        Assert.Equal("'02:00:00:00:0a' is not a MAC address; write it as 02:00:00:00:00:0a", mac.Value.Check("mac", "02:00:00:00:0a"));
    }

    [Fact]
    public async Task PortSetTakesTheVlanByPositionInEitherModeAndRefusesAListForAnAccessPort()
    {
        var builder = new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding).AddSwitch(FourPorts())
            .Add("wire", new FrameListSource([])).Connect("wire", SwitchGraph.Classifier);
        foreach (SwitchPortOptions port in FourPorts())
        {
            builder.Add("sink_" + port.Name, new NullSink()).Connect(SwitchGraph.TaggerOf(port.Name), "sink_" + port.Name);
        }
        await using FlowGraph graph = builder.Build();
        await graph.RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        IControlCommand portSet = SwitchControlCommands.All.Single(c => c.Name == "port set");
        Task<ControlReply> Set(params (string Name, string Value)[] arguments) =>
            portSet.ExecuteAsync(new ControlRequest(graph, "port set", arguments.ToDictionary(a => a.Name, a => a.Value)), CancellationToken.None);

        Assert.Equal("switch 'forward': port host_c is now access, VLAN 30; its dynamic MAC entries were flushed",
            (await Set(("port", "host_c"), ("mode", "access"), ("vlans", "30"))).Message);
        Assert.Equal("switch 'forward': port host_c is now access, VLAN 20; its dynamic MAC entries were flushed",
            (await Set(("port", "host_c"), ("mode", "access"), ("vlan", "20"))).Message);
        Assert.Equal("an access port has one VLAN; '10,20' is a list (make the port a trunk: port set host_c trunk 10,20)",
            (await Assert.ThrowsAsync<ControlCommandException>(() => Set(("port", "host_c"), ("mode", "access"), ("vlans", "10,20")))).Message);
        Assert.Equal("an access port has one VLAN; 'native' applies to trunk ports",
            (await Assert.ThrowsAsync<ControlCommandException>(() => Set(("port", "host_c"), ("mode", "access"), ("vlans", "10"), ("native", "10")))).Message);
        Assert.Equal("an access port needs its VLAN: port set <port> access <vlan>",
            (await Assert.ThrowsAsync<ControlCommandException>(() => Set(("port", "host_c"), ("mode", "access")))).Message);
        Assert.Equal("switch 'forward': port uplink is now trunk, VLANs 10,20, native 10; its dynamic MAC entries were flushed",
            (await Set(("port", "uplink"), ("mode", "trunk"), ("vlans", "10,20"), ("native", "10"))).Message);
        Assert.Equal(VlanPortMode.Access, graph.GetStage<L2Forwarder>(SwitchGraph.Forwarder).Ports.Ports[2].Mode);
        Assert.True(graph.GetStats().IsBalanced);
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
