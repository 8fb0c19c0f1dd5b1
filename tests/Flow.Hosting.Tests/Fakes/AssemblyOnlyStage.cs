namespace Flow.Hosting.Tests;

/// <summary>Registered nowhere in DI: reachable only through a graph file's "assemblies".</summary>
[Stage("assembly_only", "Test stage found by scanning an assembly; drops packets whose length is odd.")]
public sealed class AssemblyOnlyStage(AssemblyOnlyStageOptions options) : Stage<AssemblyOnlyStage.Output, AssemblyOnlyStage.Reason>
{
    public enum Output : byte
    {
        [Port(typeof(Carries.SameAsInput), "packets of even length")]
        Out,
    }

    public enum Reason : byte
    {
        [DropReason("odd length", Severity.Info)]
        OddLength,
    }

    public int Tag { get; } = options.Tag;

    public override void Process(ReadOnlySpan<Packet> packets, Span<Next> nexts)
    {
        for (int i = 0; i < packets.Length; i++)
        {
            nexts[i] = (packets[i].Length & 1) == 0 ? To(Output.Out) : Drop(Reason.OddLength);
        }
    }
}
