using Flow.Stages.Ipv4;

namespace Flow.Stages.Icmp;

/// <summary>
/// Options of <see cref="IcmpErrorSender"/>. The rate-limit defaults are Linux's (man 7 icmp):
/// <c>icmp_msgs_per_sec</c> 1000 and <c>icmp_msgs_burst</c> 50 for the router as a whole;
/// <c>icmp_ratelimit</c> 1000 ms per destination with the burst of 6 that
/// <c>XRLIM_BURST_FACTOR</c> gives (net/ipv4/inetpeer.c).
/// </summary>
public sealed record IcmpErrorSenderOptions
{
    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>Errors the router sends per second in all (RFC 1812 4.3.2.8). Zero: no global limit.</summary>
    public int GlobalPerSecond { get; init; } = 1000;

    /// <summary>Errors the router may send at once after a quiet period.</summary>
    public int GlobalBurst { get; init; } = 50;

    /// <summary>One error per this interval to each destination. Zero: no per-destination limit.</summary>
    public TimeSpan PerDestinationInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Errors one destination may get at once after a quiet period.</summary>
    public int PerDestinationBurst { get; init; } = 6;

    /// <summary>Destinations the per-destination limit tracks at once (rounded up to a power of two).</summary>
    public int Destinations { get; init; } = 4096;
}
