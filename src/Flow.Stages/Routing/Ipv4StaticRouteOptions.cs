namespace Flow.Stages.Routing;

/// <summary>
/// One static route of a graph file's <c>routes</c> list (<see cref="Ipv4LookupOptions.Routes"/>):
/// <c>{"prefix": "198.51.100.0/24", "via": "192.168.100.1"}</c>,
/// <c>{"prefix": ..., "blackhole": true}</c> or <c>{"prefix": ..., "reject": true}</c>. Several
/// entries with <see cref="Via"/> and the same prefix make one ECMP group, each entry a path
/// (<see cref="Weight"/> its share).
/// </summary>
public sealed record Ipv4StaticRouteOptions
{
    /// <summary>The destination, <c>a.b.c.d/len</c> with no host bits set (<c>0.0.0.0/0</c>: the default route).</summary>
    public string Prefix { get; init; } = "";

    /// <summary>The gateway: an address in the network of one of the router's interfaces, which names the port.</summary>
    public string? Via { get; init; }

    /// <summary>ECMP only: this path's share of the flows is its weight over the group's sum (1 to 256; default 1).</summary>
    public int? Weight { get; init; }

    /// <summary>Drop packets to the prefix silently.</summary>
    public bool Blackhole { get; init; }

    /// <summary>Drop packets to the prefix and answer ICMP administratively prohibited (RFC 1812 5.2.7.1).</summary>
    public bool Reject { get; init; }
}
