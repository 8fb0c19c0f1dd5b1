namespace Flow.Cli.Tests;

/// <summary>A user stage (loaded through a graph file's "assemblies") that throws on its first batch: a bug, for the exit-code test.</summary>
[Stage("faulty", "Test stage that throws on the first batch.")]
public sealed class FaultyStage : Stage<NoOutput, NoDrop>
{
    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts) =>
        throw new InvalidOperationException("boom");
}
