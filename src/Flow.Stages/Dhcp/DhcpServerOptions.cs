using System.ComponentModel.DataAnnotations;
using Flow.Stages.Dhcp.Internal;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Dhcp;

/// <summary>Options of <see cref="DhcpServer"/> (router.json's <c>lan.dhcp_server</c>).</summary>
public sealed record DhcpServerOptions : IValidatableObject
{
    /// <summary>False: the stage stays in the graph and answers nothing (requests counted as <c>disabled</c>).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The interface served (its name in <see cref="Interfaces"/>); requests from other interfaces leave by <c>other</c>.</summary>
    public string Interface { get; init; } = "";

    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>Addresses handed out, <c>first-last</c> inside the served interface's network: <c>192.168.1.100-192.168.1.199</c>.</summary>
    public string Range { get; init; } = "";

    /// <summary>
    /// Pools for subnets behind DHCP relay agents, besides <see cref="Range"/> (the served
    /// interface's own): a request relayed with a giaddr in one's network is served from it; one
    /// relayed from anywhere else is dropped (<c>other_subnet</c>).
    /// </summary>
    public IReadOnlyList<DhcpSubnetOptions> Subnets { get; init; } = [];

    /// <summary>Lease length granted (option 51); T1 and T2 are 0.5 and 0.875 of it (RFC 2131 4.4.5).</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>DNS servers (option 6). Empty: the ones a <c>dhcp_client</c> of the router learned, if any.</summary>
    public IReadOnlyList<string> Dns { get; init; } = [];

    /// <summary>The router option (3). Null: the served interface's own address.</summary>
    public string? Router { get; init; }

    /// <summary>A file the leases are kept in across restarts (written after each change, read at start), or null.</summary>
    public string? LeaseFile { get; init; }

    /// <summary>How long an offered address is held for the client that was offered it (RFC 2131 3.1 step 2).</summary>
    public TimeSpan OfferTime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long the server waits for an answer to the ARP request it sends for an address before
    /// it offers it to a client that does not hold it now (RFC 2131 4.3.1); an address some host
    /// answers for is kept back for <see cref="DeclineTime"/> and the next one is probed.
    /// Zero: no probe. Needs the router's <c>arp</c> (it reports the answers).
    /// </summary>
    public TimeSpan ProbeTime { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long an address a client declined (found in use, RFC 2131 3.1 step 5) is not offered.</summary>
    public TimeSpan DeclineTime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Every problem with the served interface, the range, the subnets and the times, each naming
    /// the member it is about (<c>Subnets[1].Range</c>), so a graph file's error points at the value.
    /// </summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        DhcpServerConfiguration.Build(this).Errors.Select(e => new ValidationResult(e.Message, [e.Member]));
}
