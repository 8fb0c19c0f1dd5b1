using Flow.TestKit;
using Xunit;

namespace Flow.Core.Tests.Graph;

/// <summary>
/// Every <see cref="GraphErrorKind"/>: one builder that provokes it, and the fields the error
/// carries (what callers such as the graph-file loader locate it by), not only its sentence.
/// </summary>
public class GraphBuilderErrorTests
{
    private static TaggedSource Source() => new(new TaggedSourceOptions { Count = 10 });

    private static GraphError Only(GraphBuilder builder, GraphErrorKind kind)
    {
        var e = Assert.Throws<GraphValidationException>(builder.Build);
        return Assert.Single(e.Errors, x => x.Kind == kind);
    }

    [Fact]
    public void InvalidWorkerIdNamesTheWorker()
    {
        GraphError error = Only(new GraphBuilder().Worker(-1).Add("s", Source()).Add("k", new NullSink()).Connect("s", "k"), GraphErrorKind.InvalidWorkerId);
        Assert.Equal(new GraphError(GraphErrorKind.InvalidWorkerId, "worker -1: worker ids start at 0", Worker: -1), error);
    }

    [Fact]
    public void WorkerDeclaredTwiceNamesTheWorker()
    {
        GraphError error = Only(new GraphBuilder().Worker(0).Worker(0).Add("s", Source()).Add("k", new NullSink()).Connect("s", "k"),
            GraphErrorKind.WorkerDeclaredTwice);
        Assert.Equal(new GraphError(GraphErrorKind.WorkerDeclaredTwice, "worker 0 is declared twice", Worker: 0), error);
    }

    [Fact]
    public void WorkerIdGapNamesTheMissingWorker()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source(), worker: 1).Add("k", new NullSink(), worker: 1).Connect("s", "k"),
            GraphErrorKind.WorkerIdGap);
        Assert.Equal(0, error.Worker);
        Assert.Equal("worker ids must be 0, 1, 2, … without gaps: worker 0 is missing (found 1)", error.Message);
    }

    [Fact]
    public void CpuUnavailableNamesTheWorker()
    {
        GraphError error = Only(new GraphBuilder().Worker(0).Worker(1, cpu: 4096).Add("s", Source()).Add("k", new NullSink(), worker: 1).Connect("s", "k"),
            GraphErrorKind.CpuUnavailable);
        Assert.Equal(1, error.Worker);
        Assert.Null(error.Stage);
        Assert.StartsWith("worker 1: cpu 4096 is not available on this machine (available: ", error.Message);
    }

    [Fact]
    public void InvalidBurstIsReported()
    {
        GraphError error = Only(new GraphBuilder().WithBurst(0).Add("s", Source()).Add("k", new NullSink()).Connect("s", "k"), GraphErrorKind.InvalidBurst);
        Assert.Equal(new GraphError(GraphErrorKind.InvalidBurst, $"burst 0 is out of range: 1 to {Burst.Max}"), error);
    }

    [Fact]
    public void InvalidStageNameNamesTheStage()
    {
        GraphError error = Only(new GraphBuilder().Add("s:x", Source()).Add("k", new NullSink()).Connect("s:x", "k"), GraphErrorKind.InvalidStageName);
        Assert.Equal("s:x", error.Stage);
    }

    [Fact]
    public void StageAddedTwiceNamesTheStage()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("k", new NullSink()).Add("k", new NullSink()).Connect("s", "k"),
            GraphErrorKind.StageAddedTwice);
        Assert.Equal(new GraphError(GraphErrorKind.StageAddedTwice, "stage 'k' is added twice", Stage: "k"), error);
    }

    [Fact]
    public void StageInstanceReusedNamesTheSecondName()
    {
        var sink = new NullSink();
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("a", sink).Add("b", sink).Connect("s", "a"), GraphErrorKind.StageInstanceReused);
        Assert.Equal("b", error.Stage);
    }

    [Fact]
    public void StageInAnotherGraphNamesTheStage()
    {
        var sink = new NullSink();
        using FlowGraph first = new GraphBuilder().Add("s", Source()).Add("k", sink).Connect("s", "k").Build();
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("k2", sink).Connect("s", "k2"), GraphErrorKind.StageInAnotherGraph);
        Assert.Equal(new GraphError(GraphErrorKind.StageInAnotherGraph, "stage 'k2' is already placed in another graph as 'k'", Stage: "k2"), error);
    }

    [Fact]
    public void InvalidStageDeclarationNamesTheStage()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("m", new Misnumbered()).Connect("s", "m"), GraphErrorKind.InvalidStageDeclaration);
        Assert.Equal("m", error.Stage);
        Assert.Contains("must be numbered 0, 1, 2, … in order ('Third' is not 1)", error.Message);
    }

    [Fact]
    public void StageWorkerInvalidNamesStageAndWorker()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("k", new NullSink(), worker: -2).Connect("s", "k"), GraphErrorKind.StageWorkerInvalid);
        Assert.Equal(("k", (int?)-2), (error.Stage, error.Worker));
    }

    [Fact]
    public void UnknownStageNamesTheMissingStageAndTheEdge()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("k", new NullSink()).Connect("s", "k").Connect("ghost", "k"),
            GraphErrorKind.UnknownStage);
        Assert.Equal(new GraphError(GraphErrorKind.UnknownStage, "edge ghost -> k: no stage named 'ghost'", Stage: "ghost",
            Edge: new EdgeDeclaration(1, "ghost", "k")), error);
    }

    [Fact]
    public void UnknownTargetStageNamesTheMissingStage()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("k", new NullSink()).Connect("s", "k:in"), GraphErrorKind.UnknownStage);
        Assert.Equal("k:in", error.Stage);
        Assert.EndsWith("(the target of an edge is a stage, not a port)", error.Message);
    }

    [Fact]
    public void UnknownPortNamesStagePortAndEdge()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("k", new NullSink()).Connect("s:nope", "k"), GraphErrorKind.UnknownPort);
        Assert.Equal(new GraphError(GraphErrorKind.UnknownPort, "edge s:nope -> k: stage 's' (tagged_source) has no port 'nope'; its ports are out",
            Stage: "s", Port: "nope", Edge: new EdgeDeclaration(0, "s:nope", "k")), error);
    }

    [Fact]
    public void PortNotNamedNamesStageAndEdge()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("split", new ParitySplitter()).Add("k", new NullSink())
            .Connect("s", "split").Connect("split", "k"), GraphErrorKind.PortNotNamed);
        Assert.Equal(("split", new EdgeDeclaration(1, "split", "k")), (error.Stage, error.Edge));
    }

    [Fact]
    public void NoOutputPortsNamesStageAndEdge()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("k", new NullSink()).Add("k2", new NullSink())
            .Connect("s", "k").Connect("k", "k2"), GraphErrorKind.NoOutputPorts);
        Assert.Equal(new GraphError(GraphErrorKind.NoOutputPorts, "edge k -> k2: stage 'k' (null_sink) has no output ports", Stage: "k",
            Edge: new EdgeDeclaration(1, "k", "k2")), error);
    }

    [Fact]
    public void TargetIsSourceNamesTheTarget()
    {
        GraphError error = Only(new GraphBuilder().Add("s1", Source()).Add("s2", Source()).Connect("s1", "s2"), GraphErrorKind.TargetIsSource);
        Assert.Equal(("s2", new EdgeDeclaration(0, "s1", "s2")), (error.Stage, error.Edge));
    }

    [Fact]
    public void PortConnectedTwiceNamesTheSecondEdge()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("a", new NullSink()).Add("b", new NullSink())
            .Connect("s", "a").Connect("s:out", "b"), GraphErrorKind.PortConnectedTwice);
        Assert.Equal(new GraphError(GraphErrorKind.PortConnectedTwice, "edge s:out -> b: port 's:out' is already connected to 'a'; a port leads to one stage",
            Stage: "s", Port: "out", Edge: new EdgeDeclaration(1, "s:out", "b")), error);
    }

    [Fact]
    public void InvalidRingCapacityNamesTheEdge()
    {
        GraphError error = Only(new GraphBuilder().Worker(0, idle: IdlePolicy.Yielding).Worker(1, idle: IdlePolicy.Yielding)
            .Add("s", Source()).Add("k", new NullSink(), worker: 1).Connect("s", "k", ringCapacity: 1000), GraphErrorKind.InvalidRingCapacity);
        Assert.Equal(new GraphError(GraphErrorKind.InvalidRingCapacity, "edge s -> k: ring capacity 1000 must be a power of two, at least 2",
            Edge: new EdgeDeclaration(0, "s", "k")), error);
    }

    [Fact]
    public void PortTypeMismatchNamesTheSendingPortAndTheEdgeAsWritten()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("v4", new Ipv4Only()).Add("k", new NullSink())
            .Connect("s", "v4").Connect("v4", "k"), GraphErrorKind.PortTypeMismatch);
        Assert.Equal(new GraphError(GraphErrorKind.PortTypeMismatch,
            "edge s:out -> v4: port 's:out' carries Ethernet but stage 'v4' (ipv4_only) accepts Ipv4",
            Stage: "s", Port: "out", Edge: new EdgeDeclaration(0, "s", "v4")), error);
    }

    [Fact]
    public void PortNotConnectedNamesStageAndPort()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("split", new ParitySplitter()).Add("k", new NullSink())
            .Connect("s", "split").Connect("split:even", "k"), GraphErrorKind.PortNotConnected);
        Assert.Equal(("split", "odd", (EdgeDeclaration?)null), (error.Stage, error.Port, error.Edge));
    }

    [Fact]
    public void NoInputNamesTheStage()
    {
        GraphError error = Only(new GraphBuilder().Add("s", Source()).Add("k", new NullSink()).Add("idle", new NullSink()).Connect("s", "k"),
            GraphErrorKind.NoInput);
        Assert.Equal(new GraphError(GraphErrorKind.NoInput, "stage 'idle' (null_sink) has no input: nothing is connected to it", Stage: "idle"), error);
    }

    [Fact]
    public void CycleNamesTheWorkerAndWhereTheCycleWasEntered()
    {
        GraphError error = Only(new GraphBuilder()
            .Add("s", Source()).Add("a", new Counter()).Add("b", new ParitySplitter()).Add("drop", new Dropper())
            .Connect("s", "a").Connect("a", "b").Connect("b:even", "a").Connect("b:odd", "drop"), GraphErrorKind.Cycle);
        Assert.Equal(("a", (int?)0), (error.Stage, error.Worker));
        Assert.Contains("stages a -> b -> a form a cycle", error.Message);
    }

    [Fact]
    public void EveryKindIsCoveredHere()
    {
        var tested = typeof(GraphBuilderErrorTests).GetMethods().Select(m => m.Name).ToList();
        Assert.All(Enum.GetNames<GraphErrorKind>(), kind => Assert.Contains(tested, name => name.StartsWith(kind, StringComparison.Ordinal)));
    }

    [Fact]
    public void TheExceptionMessageListsEverySentence()
    {
        var e = Assert.Throws<GraphValidationException>(new GraphBuilder().Add("split", new ParitySplitter()).Connect("x", "y").Build);
        Assert.Equal("the graph is not valid:" + Environment.NewLine + string.Join(Environment.NewLine, e.Errors.Select(x => "  - " + x.Message)), e.Message);
        Assert.Equal(e.Errors.Select(x => x.Message), e.Errors.Select(x => x.ToString()));
    }
}
