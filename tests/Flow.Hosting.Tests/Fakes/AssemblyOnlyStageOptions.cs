namespace Flow.Hosting.Tests;

public sealed record AssemblyOnlyStageOptions
{
    public int Tag { get; init; }
}
