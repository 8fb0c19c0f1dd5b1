using Flow.Protocols.Ethernet;
using Flow.Protocols.Ipv4;

namespace Flow.Stages.Arp;

/// <summary>
/// One neighbour as control output shows it (<c>neigh show</c>): address, interface, MAC (null
/// while incomplete or never resolved), state, time since its last change or confirmation,
/// packets held for it, and whether it has its /32 route.
/// </summary>
public sealed record NeighbourEntry(Ipv4Address Address, string Interface, ushort PortId, MacAddress? Mac, NeighbourState State,
    TimeSpan Age, int Held, bool HostRoute);
