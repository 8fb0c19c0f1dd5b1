namespace Flow.Stages.Switching;

/// <summary>Options of <see cref="L2Forwarder"/>.</summary>
public sealed record L2ForwarderOptions
{
    /// <summary>The switch's ports; each names an output port of the forwarder. The same list the <c>vlan_classifier</c> gets.</summary>
    public IReadOnlyList<SwitchPortOptions> Ports { get; init; } = [];

    /// <summary>Frames in the forwarder's own pool for flood copies (docs/adr/001-flooding-by-copy.md).</summary>
    public int FloodPoolFrames { get; init; } = 4096;

    /// <summary>Size of a flood-copy frame, metadata and headroom included; frames that do not fit are not copied.</summary>
    public int FloodFrameSize { get; init; } = PacketPool.DefaultFrameSize;
}
