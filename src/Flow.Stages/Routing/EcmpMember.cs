using Flow.Protocols.Ipv4;

namespace Flow.Stages.Routing;

/// <summary>One path of an ECMP route: a gateway on a port, with a weight (its share of the flows is weight / sum of weights).</summary>
public readonly record struct EcmpMember(Ipv4Address Gateway, ushort Port, int Weight = 1);
