namespace Flow.Stages.Routing;

/// <summary>Sizes of an <see cref="Ipv4RouteTable"/>.</summary>
public sealed record Ipv4RouteTableOptions
{
    /// <summary>The FIB's sizes (tbl8 groups, routes, readers).</summary>
    public Ipv4FibOptions Fib { get; init; } = new();

    /// <summary>Next-hop ids (gateways, connected ports, ECMP groups): 16 bytes each.</summary>
    public int MaxNextHops { get; init; } = 65_536;

    /// <summary>
    /// ECMP redirection slots per group, as a power of two: 2^8 = 256 slots gives each of up to
    /// 16 members a share within 1/16 of its weight and costs 1 KiB per group.
    /// </summary>
    public int EcmpSlotBits { get; init; } = 8;
}
