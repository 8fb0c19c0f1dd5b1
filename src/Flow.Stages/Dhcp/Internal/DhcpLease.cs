namespace Flow.Stages.Dhcp.Internal;

/// <summary>
/// What an ACK granted (host-order addresses): the address and its prefix, the router and DNS
/// servers, the lease length, and when T1, T2 and the expiry fall on the client's clock.
/// </summary>
internal readonly record struct DhcpLease(uint Address, int Prefix, uint Router, uint[] Dns, long Seconds, long T1, long T2, long Expiry);
