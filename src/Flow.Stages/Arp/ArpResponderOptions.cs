using Flow.Stages.Ipv4;

namespace Flow.Stages.Arp;

/// <summary>
/// Options of <see cref="ArpResponder"/> (stage <c>arp</c>): the router's interfaces and every
/// neighbour timer and bound, which it applies to the <see cref="NeighbourTable"/> it shares
/// with <c>arp_resolve</c>. Defaults: grout's (<c>modules/infra/control/nexthop.c</c>: 256 held
/// packets, 3 unicast + 3 broadcast probes, 20 min reachable lifetime, 60 s for unreachable
/// entries) and RFC 1122 2.3.2.1 (at most one request per second per destination).
/// </summary>
public sealed record ArpResponderOptions
{
    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>Neighbours the table holds at most (every state); a packet to a new one beyond it is dropped (<c>table_full</c>).</summary>
    public int MaxNeighbours { get; init; } = 1024;

    /// <summary>Packets held for one unresolved neighbour at most (RFC 1122 2.3.2.2; grout's <c>max_held_pkts</c>); more are dropped (<c>hold_full</c>).</summary>
    public int MaxHeldPerNeighbour { get; init; } = 256;

    /// <summary>Packets held for all neighbours together at most (the hold store is preallocated).</summary>
    public int MaxHeldPackets { get; init; } = 4096;

    /// <summary>How long an ARP packet from a neighbour keeps it reachable; then it is stale (and is removed after as long again unused).</summary>
    public TimeSpan ReachableTime { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Time between two requests for one destination: RFC 1122 2.3.2.1 asks for at most one per second.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests sent to the cached MAC first when a known neighbour is re-probed (RFC 1122 2.3.2.1 "unicast poll").</summary>
    public int UnicastProbes { get; init; } = 3;

    /// <summary>Broadcast requests after the unicast ones. A neighbour with no MAC yet gets UnicastProbes + BroadcastProbes broadcasts.</summary>
    public int BroadcastProbes { get; init; } = 3;

    /// <summary>How long a neighbour that answered no probe stays failed (packets to it get host unreachable at once) before it is forgotten.</summary>
    public TimeSpan FailedTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Frames of the pool gratuitous ARPs and requests are built in.</summary>
    public int RequestPoolFrames { get; init; } = 256;
}
