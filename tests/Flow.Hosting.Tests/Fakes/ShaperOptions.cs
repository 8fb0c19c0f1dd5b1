using System.ComponentModel.DataAnnotations;

namespace Flow.Hosting.Tests;

/// <summary>Options exercising every binder path: required key, range, enum, arrays, nested object, nullable.</summary>
public sealed record ShaperOptions
{
    [Required]
    public string Label { get; init; } = "";

    [Range(1, 100)]
    public int Percent { get; init; } = 50;

    public ShaperMode Mode { get; init; } = ShaperMode.Strict;

    public ushort[] Ports { get; init; } = [];

    public ShaperLimits Limits { get; init; } = new();

    public double? Ratio { get; init; }

    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(1);
}
