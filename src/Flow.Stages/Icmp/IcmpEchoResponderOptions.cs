using Flow.Stages.Ipv4;

namespace Flow.Stages.Icmp;

/// <summary>Options of <see cref="IcmpEchoResponder"/>.</summary>
public sealed record IcmpEchoResponderOptions
{
    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];
}
