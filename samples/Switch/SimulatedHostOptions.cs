using Flow.Protocols.Ethernet;

namespace Flow.Samples.Switch;

/// <summary>Options of <see cref="SimulatedHost"/>.</summary>
public sealed record SimulatedHostOptions
{
    /// <summary>Identity stamped into every frame (with the flow index and a per-flow sequence).</summary>
    public uint Id { get; init; }

    public MacAddress Mac { get; init; }

    /// <summary>The switch port id the host is wired to (stamped as <see cref="PacketMeta.InputPort"/>).</summary>
    public ushort InputPort { get; init; }

    public IReadOnlyList<HostFlow> Flows { get; init; } = [];

    /// <summary>Frames per flow; flows are sent round-robin.</summary>
    public long FramesPerFlow { get; init; } = 1000;

    public int FrameSize { get; init; } = 64;

    public int PoolFrames { get; init; } = 1024;
}
