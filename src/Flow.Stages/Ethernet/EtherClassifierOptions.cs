using Flow.Stages.Ipv4;

namespace Flow.Stages.Ethernet;

/// <summary>Options of <see cref="EtherClassifier"/>.</summary>
public sealed record EtherClassifierOptions
{
    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];
}
