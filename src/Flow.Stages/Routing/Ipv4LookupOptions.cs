using System.ComponentModel.DataAnnotations;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Routing;

/// <summary>
/// Options of <see cref="Ipv4Lookup"/>: what it puts in the shared <see cref="Ipv4RouteTable"/>
/// when it is made — a connected route for each interface address's network, a local /32 for
/// each address, and the static <see cref="Routes"/> — and the interfaces <c>route add</c> finds
/// gateways' ports in. Empty (the default): the stage adds nothing and routes come from code or
/// <c>route add</c>.
/// </summary>
/// <remarks>
/// Every <c>ipv4_lookup</c> of a process shares one table (DI); each adds its routes, replacing
/// what the table had for those prefixes. Give the lookups of one graph the same lists (one
/// <c>${interfaces}</c> and <c>${routes}</c> parameter, as <c>pipelines/router.json</c> does).
/// </remarks>
public sealed record Ipv4LookupOptions : IValidatableObject
{
    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>Static routes; a prefix given several entries with <c>via</c> is an ECMP group.</summary>
    public IReadOnlyList<Ipv4StaticRouteOptions> Routes { get; init; } = [];

    /// <summary>
    /// Every problem with the interfaces and routes, each naming the member it is about
    /// (<c>Routes[2].Via</c>), so a graph file's error points at the value.
    /// </summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        RouteConfiguration.Build(this).Errors.Select(e => new ValidationResult(e.Message, [e.Member]));
}
