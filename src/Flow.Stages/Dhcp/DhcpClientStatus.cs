namespace Flow.Stages.Dhcp;

/// <summary>
/// A DHCP client as <c>dhcp show</c> prints it: state, the lease (address with prefix, server,
/// router, DNS servers), its length and the seconds until T1, T2 and expiry (0 when passed or
/// unbound), the messages sent and received, and the address checks: ARP probes sent, addresses
/// another host claimed, DECLINEs sent.
/// </summary>
public sealed record DhcpClientStatus(string Interface, DhcpClientState State, string? Address, string? Server, string? Router, IReadOnlyList<string> Dns,
    long LeaseSeconds, long RenewInSeconds, long RebindInSeconds, long ExpiresInSeconds,
    long Discovers, long Requests, long Releases, long Offers, long Acks, long Naks, long Bindings, long Expirations,
    long Probes, long Conflicts, long Declines);
