using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Flow.Samples.HostedJsonGraph;

/// <summary>Options of the <c>size_classifier</c> stage, bound from the graph file's <c>config</c>.</summary>
public sealed record SizeClassifierOptions
{
    [Range(60, 9000)]
    [Description("frames up to this many bytes leave on 'small', longer ones on 'large'")]
    public int Threshold { get; init; } = 128;
}
