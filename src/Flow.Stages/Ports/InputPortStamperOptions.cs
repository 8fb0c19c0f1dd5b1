namespace Flow.Stages.Ports;

/// <summary>Options of <see cref="InputPortStamper"/>.</summary>
public sealed record InputPortStamperOptions
{
    /// <summary>The value written into every packet's <see cref="PacketMeta.InputPort"/>.</summary>
    public ushort Port { get; init; }
}
