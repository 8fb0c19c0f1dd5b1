namespace Flow.Stages.Dhcp;

/// <summary>
/// One address of a DHCP server's pools as <c>dhcp leases</c> shows it: its state, the client
/// (MAC and binding key in hex), the host name it gave, the seconds left of the lease, offer
/// or decline (0 for a free address), and the network of the pool it belongs to.
/// </summary>
public sealed record DhcpLeaseEntry(string Address, DhcpLeaseState State, string Mac, string ClientId, string? HostName, long SecondsLeft, string Network);
