using System.Globalization;
using Flow.Protocols.Ipv4;
using Flow.Stages.Ipv4;
using Flow.Stages.Routing.Internal;

namespace Flow.Stages.Nat.Internal;

/// <summary>
/// <see cref="NatOptions"/> checked and resolved, the same for both halves: the outside
/// interface's port id, the external addresses, the table settings and the static mappings.
/// Every bad value is named in one <see cref="RouterConfigurationException"/>.
/// </summary>
internal sealed record NatSetup(ushort OutsidePort, uint[] Addresses, NatTableSettings Settings, IReadOnlyList<NatStaticMapping> PortMappings, string? FollowsInterface,
    NatOneToOne[] OneToOne, uint Gateway)
{
    public static NatSetup Resolve(NatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        int index = -1;
        for (int i = 0; i < options.Interfaces.Count; i++)
        {
            if (options.Interfaces[i].Name == options.Outside)
            {
                index = i;
            }
        }
        ushort outsidePort = 0;
        var addresses = new List<uint>();
        string? follows = null;
        if (index < 0)
        {
            errors.Add($"outside: '{options.Outside}' is none of the interfaces ({string.Join(", ", options.Interfaces.Select(i => i.Name))})");
        }
        else
        {
            RouterInterfaceOptions outside = options.Interfaces[index];
            outsidePort = outside.Id ?? (ushort)index;
            // An outside interface addressed by DHCP: the NAT takes what the client learns.
            follows = options.Addresses.Count == 0 && outside.UsesDhcp ? outside.Name : null;
            IReadOnlyList<string> texts = options.Addresses.Count > 0 ? options.Addresses : [.. outside.StaticAddresses];
            foreach (string text in texts)
            {
                string bare = text.Split('/')[0];
                if (RouteConfiguration.ParseAddress(bare) is uint address && RouterInterfaceTable.IsUnicastHost(address))
                {
                    addresses.Add(address);
                }
                else
                {
                    errors.Add($"addresses: '{text}' is not a unicast IPv4 address");
                }
            }
            if (options.Enabled && texts.Count == 0 && follows is null)
            {
                errors.Add($"addresses: the outside interface '{options.Outside}' has no address and none is given");
            }
        }
        uint gateway = 0;
        if (options.Gateway is not null && index >= 0)
        {
            // On a DHCP-addressed outside the network is learned later: ARP finds the gateway or not.
            IReadOnlyList<AttachedNetwork> networks = RouteConfiguration.AttachedNetworks(options.Interfaces, []);
            if (RouteConfiguration.ParseAddress(options.Gateway) is not uint given || !RouterInterfaceTable.IsUnicastHost(given))
            {
                errors.Add($"gateway: '{options.Gateway}' is not a unicast IPv4 address");
            }
            else if (options.Interfaces[index].StaticAddresses.Any()
                && (RouteConfiguration.ResolveGateway(networks, given, out ushort port) is string problem ? problem
                    : port != outsidePort ? $"via {options.Gateway} is on another interface's network" : null) is string wrong)
            {
                errors.Add($"gateway: {wrong}; it must be a router on '{options.Outside}''s network");
            }
            else
            {
                gateway = given;
            }
        }
        if (options.MaxSessions is < 1 or > 1 << 24)
        {
            errors.Add($"max_sessions: {options.MaxSessions} is not from 1 to {1 << 24}");
        }
        if (options.MaxSessionsPerHost < 0)
        {
            errors.Add($"max_sessions_per_host: {options.MaxSessionsPerHost} is negative");
        }
        NatTimeoutOptions t = options.Timeouts;
        if (t.Udp <= TimeSpan.Zero || t.Icmp <= TimeSpan.Zero || t.TcpEstablished <= TimeSpan.Zero || t.TcpTransitory <= TimeSpan.Zero)
        {
            errors.Add("timeouts: every timeout is longer than zero");
        }
        var oneToOne = new List<NatOneToOne>();
        for (int i = 0; i < options.AddressMappings.Count; i++)
        {
            NatAddressMappingOptions m = options.AddressMappings[i];
            uint? external = RouteConfiguration.ParseAddress(m.External);
            uint? inside = RouteConfiguration.ParseAddress(m.Internal);
            if (external is not uint e || !RouterInterfaceTable.IsUnicastHost(e) || inside is not uint n || !RouterInterfaceTable.IsUnicastHost(n))
            {
                errors.Add($"address_mappings[{i}]: external '{m.External}' and internal '{m.Internal}' must be unicast IPv4 addresses");
                continue;
            }
            if (index >= 0 && !options.Interfaces[index].StaticAddresses.Any(a => RouteConfiguration.ParseAddress(a.Split('/')[0]) == e))
            {
                errors.Add($"address_mappings[{i}]: {m.External} is not an address of '{options.Outside}'; add it to its addresses so the router answers ARP for it");
                continue;
            }
            if (oneToOne.Exists(o => o.External == e || o.Internal == n))
            {
                errors.Add($"address_mappings[{i}]: {m.External} or {m.Internal} is mapped twice");
                continue;
            }
            oneToOne.Add(new NatOneToOne(e, n));
            // The pool leaves a 1:1 address to its one host.
            addresses.Remove(e);
        }
        var mappings = new List<NatStaticMapping>();
        for (int i = 0; i < options.PortMappings.Count; i++)
        {
            if (ParseMapping(options.PortMappings[i], addresses, out NatStaticMapping mapping, follows is not null) is string problem)
            {
                errors.Add($"port_mappings[{i}]: {problem}");
            }
            else
            {
                mappings.Add(mapping);
            }
        }
        if (errors.Count > 0)
        {
            throw new RouterConfigurationException(errors);
        }
        var settings = new NatTableSettings
        {
            Addresses = addresses,
            Mapping = options.Mapping,
            Filtering = options.Filtering,
            Timeouts = options.Timeouts,
            // A NAT that is off keeps a token table, so the verbs answer without reserving memory.
            MaxSessions = options.Enabled ? options.MaxSessions : Math.Min(options.MaxSessions, 1024),
            MaxSessionsPerHost = options.MaxSessionsPerHost,
        };
        return new NatSetup(outsidePort, [.. addresses], settings, mappings, follows, [.. oneToOne], gateway);
    }

    /// <summary>
    /// Reads one port mapping; null when good, else what is wrong. With <paramref name="addressLater"/>
    /// (the external address is learned) a mapping without one waits on address 0, the first learned.
    /// </summary>
    public static string? ParseMapping(NatPortMappingOptions options, IReadOnlyList<uint> addresses, out NatStaticMapping mapping, bool addressLater = false)
    {
        mapping = default;
        byte protocol;
        switch (options.Protocol.ToLowerInvariant())
        {
            case "tcp":
                protocol = IpProtocol.Tcp;
                break;
            case "udp":
                protocol = IpProtocol.Udp;
                break;
            default:
                return $"protocol '{options.Protocol}' is not tcp or udp";
        }
        if (options.ExternalPort is < 1 or > 65535)
        {
            return $"external_port {options.ExternalPort} is not from 1 to 65535";
        }
        string[] parts = options.Internal.Split(':');
        if (parts.Length != 2 || RouteConfiguration.ParseAddress(parts[0]) is not uint inside || !RouterInterfaceTable.IsUnicastHost(inside)
            || !ushort.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out ushort insidePort) || insidePort == 0)
        {
            return $"internal '{options.Internal}' is not an address:port such as 192.168.1.10:8000";
        }
        uint outside;
        if (options.ExternalAddress is null)
        {
            if (addresses.Count == 0 && !addressLater)
            {
                return "no external address to map on";
            }
            outside = addresses.Count > 0 ? addresses[0] : 0;
        }
        else if (RouteConfiguration.ParseAddress(options.ExternalAddress) is not uint given || !addresses.Contains(given))
        {
            return $"external_address '{options.ExternalAddress}' is not one of the NAT's addresses";
        }
        else
        {
            outside = given;
        }
        mapping = new NatStaticMapping(protocol, outside, (ushort)options.ExternalPort, inside, insidePort);
        return null;
    }
}
