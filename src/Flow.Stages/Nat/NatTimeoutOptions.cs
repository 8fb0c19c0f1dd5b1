namespace Flow.Stages.Nat;

/// <summary>
/// Idle times after which a session ends, at the RFC floors by default: UDP 300 s (RFC 4787
/// REQ-5), TCP established 7440 s and transitory 240 s (RFC 5382 REQ-5), ICMP query 60 s
/// (RFC 5508 REQ-1). Outbound packets refresh a session; inbound ones do not (RFC 4787 REQ-6
/// makes outbound refresh the requirement), except that TCP state changes either way.
/// </summary>
public sealed record NatTimeoutOptions
{
    public TimeSpan Udp { get; init; } = TimeSpan.FromSeconds(300);

    public TimeSpan TcpEstablished { get; init; } = TimeSpan.FromSeconds(7440);

    /// <summary>Connections being opened or closed (SYN seen one way, FIN both ways, or RST).</summary>
    public TimeSpan TcpTransitory { get; init; } = TimeSpan.FromSeconds(240);

    public TimeSpan Icmp { get; init; } = TimeSpan.FromSeconds(60);
}
