using System.Globalization;
using Flow.Protocols;
using Flow.Protocols.Ipv4;
using Flow.Stages.Ipv4;

namespace Flow.Stages.Routing.Internal;

/// <summary>
/// The routes an <see cref="Ipv4LookupOptions"/> describes, checked: a connected route per
/// interface network, a local /32 per interface address, the static routes (entries with
/// <c>via</c> sharing a prefix grouped into one ECMP route), and every problem found, each with
/// the member it is about (<c>Routes[2].Via</c>) so a graph file's error points at the value.
/// Also how <c>route add</c> finds a gateway's port.
/// </summary>
internal sealed class RouteConfiguration
{
    /// <summary>Largest ECMP weight (Linux's <c>nexthop weight</c> is 1 to 256 too).</summary>
    public const int MaxWeight = 256;

    private RouteConfiguration(IReadOnlyList<AttachedNetwork> networks)
    {
        Networks = networks;
    }

    /// <summary>The interfaces' networks (empty when no interfaces were given or they are not valid).</summary>
    public IReadOnlyList<AttachedNetwork> Networks { get; }

    /// <summary>Routes to add, connected and local first, static ones in the order given.</summary>
    public List<(Ipv4Prefix Prefix, Ipv4Route Route)> Routes { get; } = [];

    public List<(string Member, string Message)> Errors { get; } = [];

    public static RouteConfiguration Build(Ipv4LookupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<(string, string)>();
        IReadOnlyList<AttachedNetwork> networks = AttachedNetworks(options.Interfaces, errors);
        var configuration = new RouteConfiguration(networks);
        configuration.Errors.AddRange(errors);
        configuration.AddInterfaceRoutes();
        configuration.AddStaticRoutes(options.Routes, interfacesGiven: options.Interfaces.Count > 0);
        return configuration;
    }

    /// <summary>Adds every route to <paramref name="table"/>, replacing what it had for those prefixes; throws <see cref="RouterConfigurationException"/> when the table refuses one.</summary>
    public void Apply(Ipv4RouteTable table)
    {
        foreach ((Ipv4Prefix prefix, Ipv4Route route) in Routes)
        {
            FibStatus status;
            try
            {
                status = table.Add(prefix, route);
            }
            catch (ArgumentException e)
            {
                throw new RouterConfigurationException($"route {prefix} {Describe(route, Networks)}: {e.Message}");
            }
            if (status is not (FibStatus.Added or FibStatus.Replaced or FibStatus.Unchanged))
            {
                throw new RouterConfigurationException($"route {prefix} {Describe(route, Networks)} could not be added: {Describe(status)}");
            }
        }
    }

    /// <summary>
    /// The port of the interface whose network holds <paramref name="gateway"/> (the longest such
    /// network), or the sentence saying why it cannot be a gateway.
    /// </summary>
    public static string? ResolveGateway(IReadOnlyList<AttachedNetwork> networks, uint gateway, out ushort port)
    {
        port = 0;
        string text = Text(gateway);
        if (networks.Count == 0)
        {
            return $"via {text}: this ipv4_lookup knows no interfaces; give it the router's 'interfaces' to route via gateways";
        }
        AttachedNetwork? best = null;
        foreach (AttachedNetwork network in networks)
        {
            if (network.Address == gateway)
            {
                return $"via {text} is an address of the router (interface '{network.Interface}')";
            }
            if (network.Network.Contains(gateway) && (best is null || network.Network.Length > best.Value.Network.Length))
            {
                best = network;
            }
        }
        if (best is not AttachedNetwork found)
        {
            return $"via {text} is not in a network of the router's interfaces ({string.Join(", ", networks.Select(n => $"{n.Interface} {n.Network}"))})";
        }
        if (found.Network.Length <= 30 && (gateway == found.Network.Address || gateway == (found.Network.Address | ~found.Network.Mask)))
        {
            return $"via {text} is the network or broadcast address of interface '{found.Interface}' ({found.Network})";
        }
        port = found.Port;
        return null;
    }

    /// <summary>Parses a dotted quad strictly (four decimal octets); null when it is not one.</summary>
    public static uint? ParseAddress(string? text)
    {
        if (text is null)
        {
            return null;
        }
        string[] octets = text.Split('.');
        if (octets.Length != 4)
        {
            return null;
        }
        uint address = 0;
        foreach (string octet in octets)
        {
            if (octet.Length is 0 or > 3 || !byte.TryParse(octet, NumberStyles.None, CultureInfo.InvariantCulture, out byte b))
            {
                return null;
            }
            address = address << 8 | b;
        }
        return address;
    }

    /// <summary>Why the table refused an update, for a person.</summary>
    public static string Describe(FibStatus status) => status switch
    {
        FibStatus.Tbl8Exhausted => "the FIB has no free second-level group for a prefix longer than /24 (Ipv4FibOptions.Tbl8Groups)",
        FibStatus.TableFull => "the route table is full (Ipv4FibOptions.MaxRoutes)",
        FibStatus.NextHopsExhausted => "the next-hop table is full (Ipv4RouteTableOptions.MaxNextHops)",
        FibStatus.NotFound => "there is no such route",
        _ => status.ToString(),
    };

    /// <summary>A route's target with interface names for ports (<c>via 192.168.100.1 dev wan</c>).</summary>
    public static string Describe(Ipv4Route route, IReadOnlyList<AttachedNetwork> networks) => route.Kind switch
    {
        NextHopKind.Via => $"via {route.Gateway} dev {PortName(route.Port, networks)}",
        NextHopKind.Connected => $"dev {PortName(route.Port, networks)} (connected)",
        NextHopKind.Local => $"local dev {PortName(route.Port, networks)}",
        NextHopKind.Blackhole => "blackhole",
        NextHopKind.Reject => "reject",
        _ => string.Join(" ", route.Members.Select(m => $"via {m.Gateway} dev {PortName(m.Port, networks)} weight {m.Weight.ToString(CultureInfo.InvariantCulture)}")),
    };

    /// <summary>The interface name of a port id, or the id when no interface has it.</summary>
    public static string PortName(ushort port, IReadOnlyList<AttachedNetwork> networks)
    {
        foreach (AttachedNetwork network in networks)
        {
            if (network.Port == port)
            {
                return network.Interface;
            }
        }
        return port.ToString(CultureInfo.InvariantCulture);
    }

    public static string Text(uint address) => new Ipv4Address(new NetU32(address)).ToString();

    /// <summary>The networks the interfaces' static addresses attach; empty (with the reasons in <paramref name="errors"/>) when the interfaces are refused.</summary>
    public static IReadOnlyList<AttachedNetwork> AttachedNetworks(IReadOnlyList<RouterInterfaceOptions> interfaces, List<(string, string)> errors)
    {
        if (interfaces.Count == 0)
        {
            return [];
        }
        try
        {
            // The table's checks (names, ids, MACs, MTUs, addresses) are every router stage's.
            _ = RouterInterfaceTable.Create(interfaces);
        }
        catch (RouterConfigurationException e)
        {
            errors.AddRange(e.Errors.Select(m => (nameof(Ipv4LookupOptions.Interfaces), m)));
            return [];
        }
        var networks = new List<AttachedNetwork>();
        for (int i = 0; i < interfaces.Count; i++)
        {
            RouterInterfaceOptions item = interfaces[i];
            foreach (string text in item.StaticAddresses)
            {
                int slash = text.IndexOf('/', StringComparison.Ordinal);
                uint address = ParseAddress(text[..slash])!.Value;
                int length = int.Parse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture);
                var network = new Ipv4Prefix(address, length);
                if (length < 32 && networks.FirstOrDefault(n => n.Network == network) is { Interface: not null } other && other.Interface != item.Name)
                {
                    errors.Add((nameof(Ipv4LookupOptions.Interfaces),
                        $"interfaces '{other.Interface}' and '{item.Name}' are both on network {network}; a network is attached to one interface"));
                }
                networks.Add(new AttachedNetwork(network, address, item.Id ?? (ushort)i, item.Name));
            }
        }
        // Refused interfaces route nothing; checking gateways against them would only echo the error.
        return errors.Count > 0 ? [] : networks;
    }

    /// <summary>Why an entry's <c>via</c> cannot be a path of <paramref name="prefix"/>'s route, or null.</summary>
    private string? CheckPath(Ipv4StaticRouteOptions route, Ipv4Prefix prefix, (int First, List<EcmpMember>? Paths, List<int> Entries) group, bool interfacesGiven)
    {
        if (ParseAddress(route.Via) is not uint gateway)
        {
            return $"via '{route.Via}' is not an IPv4 address such as 192.168.100.1";
        }
        if (Networks.Count == 0)
        {
            // Interfaces given but refused have errors of their own; none given is this route's problem.
            return interfacesGiven ? null : $"via {route.Via}: a route via a gateway needs the router's 'interfaces' (the same list the other router stages get)";
        }
        if (ResolveGateway(Networks, gateway, out _) is string unreachable)
        {
            return unreachable;
        }
        int twice = group.Paths!.FindIndex(m => m.Gateway.Value.Host == gateway);
        return twice < 0 ? null
            : $"via {route.Via} is given twice for prefix {prefix} (first in routes[{group.Entries[twice].ToString(CultureInfo.InvariantCulture)}])";
    }

    private void AddInterfaceRoutes()
    {
        var seen = new HashSet<Ipv4Prefix>();
        foreach (AttachedNetwork network in Networks)
        {
            if (network.Network.Length < 32 && seen.Add(network.Network))
            {
                Routes.Add((network.Network, Ipv4Route.Connected(network.Port)));
            }
        }
        foreach (AttachedNetwork network in Networks)
        {
            Routes.Add((new Ipv4Prefix(network.Address, 32), Ipv4Route.Local(network.Port)));
        }
    }

    private void AddStaticRoutes(IReadOnlyList<Ipv4StaticRouteOptions> routes, bool interfacesGiven)
    {
        // Prefix → the first entry's index and, for via routes, the paths so far.
        var groups = new Dictionary<Ipv4Prefix, (int First, List<EcmpMember>? Paths, List<int> Entries)>();
        var order = new List<Ipv4Prefix>();
        for (int i = 0; i < routes.Count; i++)
        {
            Ipv4StaticRouteOptions route = routes[i];
            string at = $"{nameof(Ipv4LookupOptions.Routes)}[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (!Ipv4Prefix.TryParse(route.Prefix, out Ipv4Prefix prefix, out string? problem))
            {
                Errors.Add(($"{at}.{nameof(route.Prefix)}", $"prefix {problem}"));
                continue;
            }
            int kinds = (route.Via is null ? 0 : 1) + (route.Blackhole ? 1 : 0) + (route.Reject ? 1 : 0);
            if (kinds != 1)
            {
                Errors.Add((at, kinds == 0
                    ? $"route {prefix} has no target: give \"via\": \"<gateway>\", \"blackhole\": true or \"reject\": true"
                    : $"route {prefix}: via, blackhole and reject exclude each other; give one"));
                continue;
            }
            if (route.Weight is int weight && (route.Via is null || weight is < 1 or > MaxWeight))
            {
                Errors.Add(($"{at}.{nameof(route.Weight)}", route.Via is null
                    ? $"route {prefix}: a weight applies to a path via a gateway"
                    : $"weight {weight.ToString(CultureInfo.InvariantCulture)} is out of range 1 to {MaxWeight.ToString(CultureInfo.InvariantCulture)}"));
                continue;
            }
            if (Routes.Find(r => r.Prefix == prefix) is { Route: not null } own)
            {
                Errors.Add(($"{at}.{nameof(route.Prefix)}", own.Route.Kind == NextHopKind.Local
                    ? $"prefix {prefix} is an address of the router (interface '{PortName(own.Route.Port, Networks)}'), routed locally already"
                    : $"prefix {prefix} is the network of interface '{PortName(own.Route.Port, Networks)}', routed there already"));
                continue;
            }
            bool known = groups.TryGetValue(prefix, out (int First, List<EcmpMember>? Paths, List<int> Entries) group);
            if (known && (group.Paths is null || route.Via is null))
            {
                Errors.Add(($"{at}.{nameof(route.Prefix)}", $"prefix {prefix} is given twice (first in routes[{group.First.ToString(CultureInfo.InvariantCulture)}]); " +
                    "only entries with via share a prefix, as the paths of an ECMP group"));
                continue;
            }
            if (!known)
            {
                group = (i, route.Via is null ? null : [], []);
            }
            if (route.Via is not null)
            {
                if (CheckPath(route, prefix, group, interfacesGiven) is string bad)
                {
                    Errors.Add(($"{at}.{nameof(route.Via)}", bad));
                    continue;
                }
                if (Networks.Count > 0)
                {
                    uint gateway = ParseAddress(route.Via)!.Value;
                    _ = ResolveGateway(Networks, gateway, out ushort port);
                    group.Paths!.Add(new EcmpMember(new Ipv4Address(new NetU32(gateway)), port, route.Weight ?? 1));
                    group.Entries.Add(i);
                }
            }
            if (!known)
            {
                groups.Add(prefix, group);
                order.Add(prefix);
            }
        }
        foreach (Ipv4Prefix prefix in order)
        {
            (int first, List<EcmpMember>? paths, _) = groups[prefix];
            Ipv4StaticRouteOptions route = routes[first];
            Ipv4Route? target = route.Blackhole ? Ipv4Route.Blackhole
                : route.Reject ? Ipv4Route.Reject
                : paths!.Count == 0 ? null
                : paths.Count == 1 && route.Weight is null ? Ipv4Route.Via(paths[0].Gateway, paths[0].Port)
                : Ipv4Route.Multipath(paths);
            if (target is not null)
            {
                Routes.Add((prefix, target));
            }
        }
    }
}
