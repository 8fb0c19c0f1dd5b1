namespace Flow.Stages.Nat;

/// <summary>
/// A static port mapping ("port forward"): packets to the NAT's external address on
/// <see cref="ExternalPort"/> go to <see cref="Internal"/>, and that endpoint's own packets
/// leave from the external port. Never expires.
/// </summary>
public sealed record NatPortMappingOptions
{
    /// <summary><c>tcp</c> or <c>udp</c>.</summary>
    public string Protocol { get; init; } = "";

    public int ExternalPort { get; init; }

    /// <summary>The internal endpoint, <c>192.168.1.10:8000</c>.</summary>
    public string Internal { get; init; } = "";

    /// <summary>The external address it is on; unset: the first of the NAT's addresses.</summary>
    public string? ExternalAddress { get; init; }
}
