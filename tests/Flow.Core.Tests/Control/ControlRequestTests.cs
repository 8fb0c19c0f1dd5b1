using Xunit;

namespace Flow.Core.Tests.Control;

public sealed class ControlRequestTests
{
    private static FlowGraph Graph() => new GraphBuilder()
        .Add("gen", new Generator(new GeneratorOptions { Count = 1 }))
        .Add("sink", new NullSink())
        .Connect("gen", "sink")
        .Build();

    [Fact]
    public async Task ArgumentsAreReadAsTextOrCheckedIntegersNamingTheBadOne()
    {
        await using FlowGraph graph = Graph();
        var request = new ControlRequest(graph, "mac show", new Dictionary<string, string> { ["vlan"] = "10", ["port"] = "a", ["n"] = "x" });

        Assert.Equal("a", request.Optional("port"));
        Assert.Null(request.Optional("mac"));
        Assert.Equal(10, request.OptionalInteger("vlan", 1, 4094));
        Assert.Null(request.OptionalInteger("mac", 1, 2));
        Assert.Equal("'mac show' needs the argument 'mac'", Assert.Throws<ControlCommandException>(() => request.Required("mac")).Message);
        Assert.Equal("n 'x' is not a number", Assert.Throws<ControlCommandException>(() => request.RequiredInteger("n", 0, 1)).Message);
        Assert.Equal("vlan 10 is out of range 1 to 5", Assert.Throws<ControlCommandException>(() => request.OptionalInteger("vlan", 1, 5)).Message);
        await graph.RunAsync();
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public void ATableReplyNeedsOneCellPerColumn()
    {
        ControlReply reply = ControlReply.Table(["a", "b"], [["1", "2"]], "one row");
        Assert.Equal(("one row", 2, 1), (reply.Message, reply.Columns.Count, reply.Rows.Count));
        Assert.Empty(ControlReply.Text("done").Columns);
        Assert.Throws<ArgumentException>(() => ControlReply.Table(["a", "b"], [["1"]]));
    }

    [Fact]
    public async Task TheServingStageIsTheOnlyOneOrTheOneChosenAmongThoseServingTheCommand()
    {
        await using FlowGraph graph = Graph();
        Assert.Equal("r1", new ControlRequest(graph, "route show", servedBy: ["r1"]).ServingStage());
        Assert.Equal("r2", new ControlRequest(graph, "route show", stage: "r2", servedBy: ["r1", "r2"]).ServingStage());
        Assert.Equal("2 stages serve 'route show' ('r1', 'r2'); choose one with --stage <name>",
            Assert.Throws<ControlCommandException>(() => new ControlRequest(graph, "route show", servedBy: ["r1", "r2"]).ServingStage()).Message);
        Assert.Equal("stage 'gen' does not serve 'route show'; the stage that does is 'r1'",
            Assert.Throws<ControlCommandException>(() => new ControlRequest(graph, "route show", stage: "gen", servedBy: ["r1"]).ServingStage()).Message);
        // The shards' copies of one stage are one stage: shard 0's copy serves, unless --stage names another.
        Assert.Equal("r@0", new ControlRequest(graph, "route show", servedBy: ["r@1", "r@0"]).ServingStage());
        Assert.Equal("r@1", new ControlRequest(graph, "route show", stage: "r@1", servedBy: ["r@0", "r@1"]).ServingStage());
        Assert.Throws<ControlCommandException>(() => new ControlRequest(graph, "route show", servedBy: ["r@0", "q@0"]).ServingStage());
        Assert.Equal("no stage of this graph serves 'stats'",
            Assert.Throws<ControlCommandException>(() => new ControlRequest(graph, "stats").ServingStage()).Message);
        await graph.RunAsync();
        Assert.True(graph.GetStats().IsBalanced);
    }

    [Fact]
    public void ValuesAreCheckedWithASentenceNamingTheArgumentAndUsageShowsTheDeclaration()
    {
        Assert.Null(ControlValue.Integer(1, 5).Check("n", "5"));
        Assert.Equal("n 6 is out of range 1 to 5", ControlValue.Integer(1, 5).Check("n", "6"));
        Assert.Equal("n 'five' is not a number", ControlValue.Integer(1, 5).Check("n", "five"));
        Assert.Equal("mode 'Trunk' is not one of access, trunk", ControlValue.OneOf("access", "trunk").Check("mode", "Trunk"));
        Assert.Equal("access|trunk", ControlValue.OneOf("access", "trunk").Kind);
        Assert.Null(ControlValue.AnyText("name").Check("port", "anything at all"));

        Assert.Equal("<mac>", new ControlArgument("mac", "x") { Positional = true, Required = true }.Usage);
        Assert.Equal("[<vlans>]", new ControlArgument("vlans", "x") { Positional = true }.Usage);
        Assert.Equal("[<command...>]", new ControlArgument("command", "x") { Positional = true, Rest = true }.Usage);
        Assert.Equal("--vlan N", new ControlArgument("vlan", "x", ControlValue.Integer(1, 4094)) { Required = true }.Usage);
        Assert.Equal("[--port name]", new ControlArgument("port", "x", ControlValue.AnyText("name")).Usage);
        Assert.Equal("[--note text]", new ControlArgument("note", "x").Usage);
    }
}
