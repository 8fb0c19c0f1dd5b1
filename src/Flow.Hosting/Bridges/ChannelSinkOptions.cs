using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Flow.Hosting;

/// <summary>Options of the <c>channel_sink</c> stage.</summary>
public sealed record ChannelSinkOptions
{
    [Description("name the app reads with FlowChannels.Reader(name) / SourceBlock(name)")]
    [Required]
    public string Channel { get; init; } = "";

    [Range(1, 1 << 20)]
    [Description("records queued for the app before the sink drops with consumer_slow")]
    public int Capacity { get; init; } = FlowChannels.DefaultCapacity;

    [Range(0, 65535)]
    [Description("bytes copied per packet; 0 = the whole packet")]
    public int SnapLength { get; init; }
}
