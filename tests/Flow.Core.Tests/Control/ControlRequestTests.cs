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
}
