using Flow.Protocols.Ipv4;

namespace Flow.Stages.Dhcp.Internal;

/// <summary>
/// A DHCP server pool as configured and checked (host-order addresses): its network, the range
/// handed out, an address in it never handed out (the server's own or the pool's router; 0:
/// none), the router option (0: the relay agent, giaddr), the lease length, and its DNS servers
/// (null: the server's).
/// </summary>
internal readonly record struct DhcpPoolSettings(uint Network, int Prefix, uint First, uint Last, uint Reserved, uint Router, uint LeaseSeconds, Ipv4Address[]? Dns);
