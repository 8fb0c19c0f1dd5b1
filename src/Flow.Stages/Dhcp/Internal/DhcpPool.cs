using Flow.Protocols;
using Flow.Protocols.Ipv4;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Dhcp.Internal;

/// <summary>
/// One pool of a <see cref="DhcpServer"/>: a network, the range of it handed out and what goes
/// with an address there (mask, router, lease time, DNS servers), its leases and its counters.
/// The server's first pool is its interface's own network; the others are subnets behind relay
/// agents (RFC 2131 4.3.1: a relayed client gets an address of giaddr's network). Worker-owned,
/// counters too; the control path reads them through the mailbox.
/// </summary>
internal sealed class DhcpPool
{
    public DhcpPool(DhcpPoolSettings settings)
    {
        Network = settings.Network;
        Mask = RouterInterfaceTable.PrefixMask(settings.Prefix);
        Broadcast = Network | ~Mask;
        Router = settings.Router;
        LeaseSeconds = settings.LeaseSeconds;
        LeaseNanoseconds = settings.LeaseSeconds * 1_000_000_000L;
        Dns = settings.Dns;
        Name = $"{Text(Network)}/{settings.Prefix}";
        Leases = new DhcpLeaseTable(settings.First, settings.Last, settings.Reserved, Network, Broadcast);
    }

    /// <summary>The network, <c>10.9.0.0/24</c>, as control output names the pool.</summary>
    public string Name { get; }

    public uint Network { get; }

    public uint Mask { get; }

    public uint Broadcast { get; }

    /// <summary>The router option; 0: the relay agent (see <see cref="Relay"/>).</summary>
    public uint Router { get; }

    public uint LeaseSeconds { get; }

    public long LeaseNanoseconds { get; }

    /// <summary>DNS servers of this pool; null: the server's.</summary>
    public Ipv4Address[]? Dns { get; }

    public DhcpLeaseTable Leases { get; }

    /// <summary>
    /// The relay agent that relayed for this pool last (giaddr): the router option when none is
    /// configured, also for a client that renews by unicast, straight to the server (RFC 2131
    /// 4.4.5), whose request carries no giaddr. 0 until one relayed.
    /// </summary>
    public uint Relay { get; set; }

    public long Offers { get; set; }

    public long Acks { get; set; }

    public long Naks { get; set; }

    /// <summary>DISCOVERs dropped as <c>pool_exhausted</c>.</summary>
    public long Exhausted { get; set; }

    public long Expired { get; set; }

    public bool Contains(uint address) => (address & Mask) == Network;

    /// <summary>The router option for a request relayed by <paramref name="giaddr"/> (0: not relayed); 0 when there is none to give.</summary>
    public uint RouterFor(uint giaddr) => Router != 0 ? Router : giaddr != 0 ? giaddr : Relay;

    /// <summary>What <c>dhcp show</c> prints of the pool; <paramref name="serverDns"/> stands in for DNS servers of its own.</summary>
    public DhcpPoolStatus Status(IReadOnlyList<Ipv4Address> serverDns)
    {
        (int bound, int offered, int declined) = Leases.CountStates();
        return new DhcpPoolStatus(Name, $"{Text(Leases.First)}-{Text(Leases.Last)}", Router != 0 ? Text(Router) : "giaddr", LeaseSeconds,
            [.. (Dns ?? serverDns).Select(static d => d.ToString())], Leases.Usable, bound, offered, declined, Offers, Acks, Naks, Exhausted, Expired);
    }

    private static string Text(uint address) => new Ipv4Address(new NetU32(address)).ToString();
}
