namespace Flow.Stages.Dhcp;

/// <summary>
/// One pool of a DHCP server as <c>dhcp show</c> prints it: its network and range, the router
/// option (an address, or <c>giaddr</c>: the relay agent's), lease time and DNS servers handed
/// out, how many addresses it hands out and how many are bound, offered and declined now, and its
/// counters: offers, ACKs and NAKs sent, DISCOVERs it had no address for, leases expired.
/// </summary>
public sealed record DhcpPoolStatus(string Network, string Range, string Router, long LeaseSeconds, IReadOnlyList<string> Dns, int Size,
    int Bound, int Offered, int Declined, long Offers, long Acks, long Naks, long Exhausted, long Expired);
