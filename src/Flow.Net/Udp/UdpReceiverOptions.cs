using Flow.Stages.Ipv4;

namespace Flow.Net.Udp;

/// <summary>Options of <see cref="UdpReceiver"/>.</summary>
public sealed record UdpReceiverOptions
{
    /// <summary>The host's interfaces (to tell subnet broadcasts); the list every stack stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];
}
