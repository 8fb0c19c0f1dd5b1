namespace Flow.Stages.Dhcp;

/// <summary>
/// A pool of <see cref="DhcpServer"/> for a subnet behind a DHCP relay agent (router.json's
/// <c>lan.dhcp_server.subnets</c>): a request relayed with a <c>giaddr</c> in
/// <see cref="Network"/> gets an address of <see cref="Range"/> (RFC 2131 4.3.1).
/// </summary>
public sealed record DhcpSubnetOptions
{
    /// <summary>The relayed subnet, <c>10.9.0.0/24</c> (no host bits set; /1 to /30); it may not overlap the router's networks or another subnet.</summary>
    public required string Network { get; init; }

    /// <summary>Addresses handed out, <c>first-last</c> inside <see cref="Network"/>: <c>10.9.0.100-10.9.0.199</c>.</summary>
    public required string Range { get; init; }

    /// <summary>The router option (3), an address of <see cref="Network"/>, never handed out. Null: the relay agent's address (<c>giaddr</c>).</summary>
    public string? Router { get; init; }

    /// <summary>Lease length granted here. Null: the server's <see cref="DhcpServerOptions.LeaseTime"/>.</summary>
    public TimeSpan? LeaseTime { get; init; }

    /// <summary>DNS servers (option 6) handed out here. Empty: the server's (<see cref="DhcpServerOptions.Dns"/>, or those the router learned).</summary>
    public IReadOnlyList<string> Dns { get; init; } = [];
}
