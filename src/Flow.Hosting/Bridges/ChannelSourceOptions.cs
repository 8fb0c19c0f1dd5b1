using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Flow.Hosting;

/// <summary>Options of the <c>channel_source</c> stage.</summary>
public sealed record ChannelSourceOptions
{
    [Description("name the app writes with FlowChannels.Writer(name) / TargetBlock(name)")]
    [Required]
    public string Channel { get; init; } = "";

    [Range(1, 1 << 20)]
    [Description("frames queued from the app before its TryWrite returns false")]
    public int Capacity { get; init; } = FlowChannels.DefaultCapacity;

    [Range(64, 1 << 20)]
    [Description("frames in the source's own packet pool")]
    public int PoolFrames { get; init; } = 1024;

    [Description("input port written into each packet's metadata")]
    public ushort InputPort { get; init; }
}
