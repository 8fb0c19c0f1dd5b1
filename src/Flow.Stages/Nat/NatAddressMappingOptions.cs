namespace Flow.Stages.Nat;

/// <summary>
/// A 1:1 address mapping ("static NAT"): every packet of <see cref="Internal"/> leaves from
/// <see cref="External"/>, and every packet to <see cref="External"/> goes to
/// <see cref="Internal"/>, ports unchanged and without sessions. The external address must be
/// one of the outside interface's addresses (so the router answers ARP for it); the NAT's pool
/// leaves it out.
/// </summary>
public sealed record NatAddressMappingOptions
{
    public string External { get; init; } = "";

    public string Internal { get; init; } = "";
}
