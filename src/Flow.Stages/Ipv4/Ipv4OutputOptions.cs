namespace Flow.Stages.Ipv4;

/// <summary>Options of <see cref="Ipv4Output"/>.</summary>
public sealed record Ipv4OutputOptions
{
    /// <summary>
    /// The router's interfaces; the same list every router stage gets. Each one's
    /// <see cref="RouterInterfaceOptions.Mtu"/> is the MTU of packets leaving by it.
    /// </summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>
    /// Frames in the stage's own pool for fragments. A datagram of 64 KiB cut for a 1500-byte MTU
    /// takes 44, so the default holds about 45 such datagrams on their way to the wire.
    /// </summary>
    public int FragmentPoolFrames { get; init; } = 2048;

    /// <summary>
    /// Size of a fragment frame, headroom included. Zero: large enough for a fragment of the
    /// largest interface MTU behind a 64-byte L2 header, and at least
    /// <see cref="PacketPool.DefaultFrameSize"/>. A smaller frame makes smaller fragments.
    /// </summary>
    public int FragmentFrameSize { get; init; }
}
