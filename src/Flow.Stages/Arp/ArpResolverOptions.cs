using Flow.Stages.Ipv4;

namespace Flow.Stages.Arp;

/// <summary>
/// Options of <see cref="ArpResolver"/> (stage <c>arp_resolve</c>). Its timers and hold-queue
/// bounds are the <c>arp</c> stage's (<see cref="ArpResponderOptions"/>): the two share one
/// <see cref="NeighbourTable"/>.
/// </summary>
public sealed record ArpResolverOptions
{
    /// <summary>The router's interfaces; the same list every router stage gets. None may be named <c>unreachable</c>.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];
}
