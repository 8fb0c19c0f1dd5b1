namespace Flow.Stages.Routing.Internal;

/// <summary>One address of a router interface and the network it attaches: where gateways on that network are reached.</summary>
internal readonly record struct AttachedNetwork(Ipv4Prefix Network, uint Address, ushort Port, string Interface);
