using Flow.Stages.Ipv4;

namespace Flow.Stages.Nat;

/// <summary>
/// Options of <c>nat_in</c> and <c>nat_out</c>, the two halves of one NAT44 (<see cref="NatTable"/>):
/// both are given the same options and find their shared table by <see cref="Table"/>.
/// </summary>
public sealed record NatOptions : IShardPlacementOptions
{
    /// <summary>A NAT that is on keeps its table with one writer, so it runs once in a sharded graph; one that is off passes packets and runs on every shard.</summary>
    bool IShardPlacementOptions.RunsOnce => Enabled;

    /// <summary>false: both stages pass every packet unchanged (router.json's <c>nat.enabled</c>).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The name both halves of one NAT share; a graph with several NATs names each.</summary>
    public string Table { get; init; } = "nat";

    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>The interface whose traffic is translated: packets leaving by it get an external source, packets to its addresses an internal destination.</summary>
    public string Outside { get; init; } = "wan";

    /// <summary>
    /// The router on <see cref="Outside"/>'s network that this NAT's conversations leave through
    /// when routing would send them by another interface (a router with several WANs, each with a
    /// NAT: "source in, source out" — a connection that came in by this WAN answers by it, and a
    /// session keeps its WAN when routes change). null: an outside addressed by DHCP uses the router
    /// its lease names; a router with one NAT needs none; otherwise such a packet is dropped
    /// (<c>no_return_route</c>).
    /// </summary>
    public string? Gateway { get; init; }

    /// <summary>
    /// The external addresses (pooled, each internal host paired with one, RFC 4787 REQ-2);
    /// empty: the addresses of <see cref="Outside"/>.
    /// </summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    public NatMapping Mapping { get; init; } = NatMapping.EndpointIndependent;

    public NatFiltering Filtering { get; init; } = NatFiltering.EndpointIndependent;

    public IReadOnlyList<NatPortMappingOptions> PortMappings { get; init; } = [];

    /// <summary>1:1 address mappings, stateless (<see cref="NatAddressMappingOptions"/>).</summary>
    public IReadOnlyList<NatAddressMappingOptions> AddressMappings { get; init; } = [];

    public NatTimeoutOptions Timeouts { get; init; } = new();

    /// <summary>
    /// Sessions at once: about 170 bytes each reserved when the table is made (a 64-byte session,
    /// a 40-byte mapping, 64 bytes of hash buckets, which are written then); session and mapping
    /// pages are touched only as they fill.
    /// </summary>
    public int MaxSessions { get; init; } = 262_144;

    /// <summary>Sessions one internal host may hold at once; 0: no limit but <see cref="MaxSessions"/>.</summary>
    public int MaxSessionsPerHost { get; init; }
}
