using System.ComponentModel.DataAnnotations;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Icmp;

/// <summary>Options of <see cref="IcmpPinger"/>.</summary>
public sealed record IcmpPingerOptions
{
    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>Frames for echo requests in flight (each is freed once a port sent it).</summary>
    [Range(2, 4096)]
    public int PoolFrames { get; init; } = 64;
}
