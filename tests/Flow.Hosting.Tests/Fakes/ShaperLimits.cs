using System.ComponentModel.DataAnnotations;

namespace Flow.Hosting.Tests;

public sealed record ShaperLimits
{
    [Range(0, 1000)]
    public int Burst { get; init; } = 10;
}
