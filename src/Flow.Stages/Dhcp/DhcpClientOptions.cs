using System.ComponentModel.DataAnnotations;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Dhcp;

/// <summary>Options of <see cref="DhcpClient"/>.</summary>
public sealed record DhcpClientOptions
{
    /// <summary>
    /// The interface the client configures (its name in <see cref="Interfaces"/>). The client runs
    /// only when that interface's addresses include <c>dhcp</c>; otherwise it sends nothing and
    /// drops what reaches it as <c>disabled</c>.
    /// </summary>
    public string Interface { get; init; } = "";

    /// <summary>The router's interfaces; the same list every router stage gets.</summary>
    public IReadOnlyList<RouterInterfaceOptions> Interfaces { get; init; } = [];

    /// <summary>Host name sent in option 12, or null.</summary>
    public string? HostName { get; init; }

    /// <summary>
    /// ARP probes sent for a newly leased address before the client takes it (RFC 2131 4.4.1,
    /// RFC 5227 2.1.1), <see cref="AddressCheckInterval"/> apart; an interval after the last with
    /// no other host claiming it, the client is BOUND; a claim makes it DECLINE the address. 0: no check.
    /// </summary>
    [Range(0, 10)]
    public int AddressCheckProbes { get; init; } = 2;

    /// <summary>Time between address-check probes, and the wait after the last.</summary>
    public TimeSpan AddressCheckInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A file the lease is kept in (written after each binding, emptied when the lease is given
    /// back or ends), or null. At start a lease in it that has not ended is asked for again
    /// (INIT-REBOOT, RFC 2131 4.4.2) instead of a DISCOVER: the router keeps its address across a
    /// restart or a crash.
    /// </summary>
    public string? LeaseFile { get; init; }

    /// <summary>Frames for the client's own messages.</summary>
    [Range(2, 1024)]
    public int PoolFrames { get; init; } = 16;
}
