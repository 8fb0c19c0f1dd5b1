using Flow.Protocols;
using Flow.Protocols.Ipv4;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Dhcp.Internal;

/// <summary>
/// What a <see cref="DhcpServerOptions"/> describes, checked: the served interface and the
/// server's address on it, the DNS servers, and the pools — the interface's own network with
/// <see cref="DhcpServerOptions.Range"/> first, then one per relayed subnet — with every problem
/// found, each with the member it is about (<c>Subnets[1].Range</c>) so a graph file's error
/// points at the value. A disabled server's range and subnets are not checked (it answers nothing,
/// and router.json keeps its default range whatever lan's address is).
/// </summary>
internal sealed class DhcpServerConfiguration
{
    /// <summary>Most relayed subnets: a request's pool is found by a scan, and each pool's lease table is allocated up front.</summary>
    public const int MaxSubnets = 64;

    private IReadOnlyList<AttachedNetwork> _networks = [];

    private DhcpServerConfiguration()
    {
    }

    /// <summary>The router's interfaces (null when they are not valid).</summary>
    public RouterInterfaceTable? Interfaces { get; private set; }

    /// <summary>The served interface's position in <see cref="Interfaces"/>.</summary>
    public int Index { get; private set; }

    /// <summary>The server identifier: the served interface's first address (0 for a disabled server on an interface without one).</summary>
    public uint Server { get; private set; }

    /// <summary>The configured DNS servers.</summary>
    public Ipv4Address[] Dns { get; private set; } = [];

    /// <summary>The served interface's pool first, then the subnets' in the order given; none for a disabled server.</summary>
    public List<DhcpPoolSettings> Pools { get; } = [];

    public List<(string Member, string Message)> Errors { get; } = [];

    public static DhcpServerConfiguration Build(DhcpServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = new DhcpServerConfiguration();
        configuration.Read(options);
        return configuration;
    }

    private void Read(DhcpServerOptions options)
    {
        if (!TryReadInterface(options, out int prefix))
        {
            return;
        }
        uint router = Server;
        if (options.Router is not null)
        {
            if (RouteConfiguration.ParseAddress(options.Router) is uint given)
            {
                router = given;
            }
            else
            {
                Errors.Add((nameof(options.Router), $"Router '{options.Router}' is not an IPv4 address"));
            }
        }
        Dns = ReadDns(options.Dns, nameof(options.Dns), "Dns");
        uint leaseSeconds = ReadLeaseTime(options.LeaseTime, nameof(options.LeaseTime), "LeaseTime");
        if (options.OfferTime <= TimeSpan.Zero || options.DeclineTime <= TimeSpan.Zero)
        {
            string member = options.OfferTime <= TimeSpan.Zero ? nameof(options.OfferTime) : nameof(options.DeclineTime);
            Errors.Add((member, $"OfferTime {options.OfferTime} and DeclineTime {options.DeclineTime} must be positive"));
        }
        if (options.ProbeTime < TimeSpan.Zero || options.ProbeTime > TimeSpan.FromSeconds(10))
        {
            Errors.Add((nameof(options.ProbeTime), $"ProbeTime {options.ProbeTime} is out of range 0 (no probe) to 10 seconds"));
        }
        if (!options.Enabled)
        {
            return;
        }
        var network = new Ipv4Prefix(Server, prefix);
        string servedName = Interfaces!.Interfaces[Index].Name;
        if (ReadRange(options.Range, network, nameof(options.Range), "Range", $"{servedName}'s network") is (uint first, uint last))
        {
            Pools.Add(new DhcpPoolSettings(network.Address, prefix, first, last, Server, router, leaseSeconds, Dns: null));
        }
        ReadSubnets(options.Subnets, leaseSeconds);
    }

    /// <summary>Finds the served interface and its address; false when the rest cannot be checked.</summary>
    private bool TryReadInterface(DhcpServerOptions options, out int prefix)
    {
        prefix = 32;
        try
        {
            Interfaces = RouterInterfaceTable.Create(options.Interfaces);
        }
        catch (RouterConfigurationException e)
        {
            Errors.AddRange(e.Errors.Select(m => (nameof(options.Interfaces), m)));
            return false;
        }
        Index = -1;
        for (int i = 0; i < Interfaces.Count; i++)
        {
            if (Interfaces.Interfaces[i].Name == options.Interface)
            {
                Index = i;
            }
        }
        if (Index < 0)
        {
            Errors.Add((nameof(options.Interface), $"Interface '{options.Interface}' is none of the interfaces ({string.Join(", ", Interfaces.Interfaces.Select(i => i.Name))})"));
            return false;
        }
        RouterInterfaceOptions served = Interfaces.Interfaces[Index];
        var problems = new List<(string Member, string Message)>();
        _networks = RouteConfiguration.AttachedNetworks(options.Interfaces, problems);
        if (problems.Count > 0)
        {
            Errors.AddRange(problems.Select(p => (nameof(options.Interfaces), p.Message)));
            return false;
        }
        // Its first address: the server identifier, on the network the server hands out.
        int own = -1;
        for (int i = 0; i < _networks.Count && own < 0; i++)
        {
            own = _networks[i].Interface == served.Name ? i : -1;
        }
        if (own < 0)
        {
            if (options.Enabled)
            {
                Errors.Add((nameof(options.Interfaces), $"interface '{served.Name}' has no static address; a DHCP server needs one (its server identifier and the network it serves)"));
                return false;
            }
            // A disabled server answers nothing; it needs no address.
            return true;
        }
        Server = _networks[own].Address;
        prefix = _networks[own].Network.Length;
        return true;
    }

    private void ReadSubnets(IReadOnlyList<DhcpSubnetOptions> subnets, uint defaultLeaseSeconds)
    {
        if (subnets.Count > MaxSubnets)
        {
            Errors.Add(("Subnets", $"Subnets: {subnets.Count} given; at most {MaxSubnets}"));
            return;
        }
        // Each subnet is off the router's own links (a relay there would hand out addresses a
        // connected network already has) and apart from the others, so giaddr picks one pool.
        var networks = _networks.Select(n => (n.Network, Owner: $"{n.Interface}'s network {n.Network}")).ToList();
        for (int i = 0; i < subnets.Count; i++)
        {
            DhcpSubnetOptions subnet = subnets[i];
            string member = $"Subnets[{i}]";
            if (subnet.Network is null || subnet.Range is null)
            {
                // Left out of a graph file, where the binder has reported the missing key already.
                continue;
            }
            if (!Ipv4Prefix.TryParse(subnet.Network, out Ipv4Prefix network, out string? error))
            {
                Errors.Add(($"{member}.Network", $"{member}.Network {error}; expected a network like 10.9.0.0/24"));
                continue;
            }
            if (network.Length is < 1 or > 30)
            {
                Errors.Add(($"{member}.Network", $"{member}.Network {network} is not /1 to /30 (a smaller one has no address to hand out)"));
                continue;
            }
            string? taken = null;
            foreach ((Ipv4Prefix other, string owner) in networks)
            {
                if (other.Contains(network.Address) || network.Contains(other.Address))
                {
                    taken = owner;
                    break;
                }
            }
            if (taken is not null)
            {
                Errors.Add(($"{member}.Network", $"{member}.Network {network} overlaps {taken}"));
                continue;
            }
            networks.Add((network, $"{member}.Network {network}"));
            uint router = 0;
            if (subnet.Router is not null)
            {
                if (RouteConfiguration.ParseAddress(subnet.Router) is uint given && network.Contains(given) && given != network.Address && given != (network.Address | ~network.Mask))
                {
                    router = given;
                }
                else
                {
                    Errors.Add(($"{member}.Router", $"{member}.Router '{subnet.Router}' is not a host address of {network}"));
                }
            }
            uint leaseSeconds = subnet.LeaseTime is { } leaseTime ? ReadLeaseTime(leaseTime, $"{member}.LeaseTime", $"{member}.LeaseTime") : defaultLeaseSeconds;
            Ipv4Address[] dns = ReadDns(subnet.Dns, $"{member}.Dns", $"{member}.Dns");
            if (ReadRange(subnet.Range, network, $"{member}.Range", $"{member}.Range", "its network") is (uint first, uint last))
            {
                Pools.Add(new DhcpPoolSettings(network.Address, network.Length, first, last, router, router, leaseSeconds, dns.Length == 0 ? null : dns));
            }
        }
    }

    /// <summary>The ends of <paramref name="text"/> (<c>first-last</c>) when it is an ascending range inside <paramref name="network"/>, small enough for a lease table.</summary>
    private (uint First, uint Last)? ReadRange(string text, Ipv4Prefix network, string member, string label, string networkName)
    {
        string[] ends = text.Split('-', StringSplitOptions.TrimEntries);
        if (ends.Length != 2 || RouteConfiguration.ParseAddress(ends[0]) is not uint a || RouteConfiguration.ParseAddress(ends[1]) is not uint b)
        {
            Errors.Add((member, $"{label} '{text}' is not two IPv4 addresses first-last, like 192.168.1.100-192.168.1.199"));
            return null;
        }
        if (b < a || !network.Contains(a) || !network.Contains(b))
        {
            Errors.Add((member, $"{label} '{text}' is not an ascending range inside {networkName} {network}"));
            return null;
        }
        if (b - a >= DhcpLeaseTable.MaxAddresses)
        {
            Errors.Add((member, $"{label} '{text}' holds {b - a + 1} addresses; at most {DhcpLeaseTable.MaxAddresses}"));
            return null;
        }
        return (a, b);
    }

    private uint ReadLeaseTime(TimeSpan leaseTime, string member, string label)
    {
        if (leaseTime < TimeSpan.FromSeconds(10) || leaseTime.TotalSeconds > uint.MaxValue - 1)
        {
            Errors.Add((member, $"{label} {leaseTime} is out of range 10 seconds to 136 years"));
            return 0;
        }
        return (uint)leaseTime.TotalSeconds;
    }

    private Ipv4Address[] ReadDns(IReadOnlyList<string> servers, string member, string label)
    {
        var dns = new List<Ipv4Address>();
        for (int i = 0; i < servers.Count; i++)
        {
            if (RouteConfiguration.ParseAddress(servers[i]) is uint server)
            {
                dns.Add(new Ipv4Address(new NetU32(server)));
            }
            else
            {
                Errors.Add(($"{member}[{i}]", $"{label} '{servers[i]}' is not an IPv4 address"));
            }
        }
        return [.. dns];
    }
}
